#!/usr/bin/env python3
"""CPU time per create, split by stack process (each service's component
host, each daprd, Kafka, the scheduler), from /proc.

Runs CREATES sequential `POST /api/{user}/tasks` from one client against a
started stack, waits SETTLE seconds for the consumers to finish, and
divides each process's user+system CPU time (its children included) by the
number of creates, less what the process burns idle over the same wall
time (measured for IDLE seconds first). The client's own CPU is not counted.

    STACK_DIR=... TODO_API_URL=http://127.0.0.1:11080 TODO_STACK_PORT_OFFSET=3000 \\
        python3 bench/cpu.py [CREATES=500] [IDLE=5] [SETTLE=5]
"""

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid

TICK = os.sysconf("SC_CLK_TCK")


def processes(stack_dir):
    """name -> pid of every process the stack started."""
    pids = {}
    folder = os.path.join(stack_dir, "pids")
    for name in sorted(os.listdir(folder)):
        if name.endswith(".pid"):
            with open(os.path.join(folder, name)) as f:
                pids[name[:-4]] = int(f.read().strip())
    return pids


def children():
    """ppid -> [pid] for every process."""
    tree = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                tree.setdefault(int(fields[1]), []).append(int(entry))
            except OSError:
                pass
    return tree


def cpu_seconds(pid, tree):
    """user + system seconds of pid and its descendants (live ones)."""
    total = 0.0
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / TICK
    except OSError:
        return 0.0
    for child in tree.get(pid, []):
        total += cpu_seconds(child, tree)
    return total


def snapshot(pids):
    tree = children()
    return {name: cpu_seconds(pid, tree) for name, pid in pids.items()}


def main():
    creates = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    idle = float(sys.argv[2]) if len(sys.argv) > 2 else 5
    settle = float(sys.argv[3]) if len(sys.argv) > 3 else 5
    stack_dir = os.environ["STACK_DIR"]
    api = os.environ["TODO_API_URL"]
    user = f"cpu-{uuid.uuid4().hex[:8]}"
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    token = subprocess.run(
        [os.path.join(root, "scripts", "stack"), "token", user],
        check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]
    pids = processes(stack_dir)

    before_idle = snapshot(pids)
    time.sleep(idle)
    after_idle = snapshot(pids)
    idle_rate = {n: (after_idle[n] - before_idle[n]) / idle for n in pids}

    start = snapshot(pids)
    started = time.monotonic()
    errors = 0
    for i in range(creates):
        body = json.dumps({"title": f"cpu bench {i}", "priority": "high", "tags": ["bench"]})
        request = urllib.request.Request(
            f"{api}/api/{user}/tasks", data=body.encode(), method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request) as response:
                errors += response.status != 201
        except OSError:
            errors += 1
    load_seconds = time.monotonic() - started
    time.sleep(settle)
    wall = time.monotonic() - started
    end = snapshot(pids)

    print(f"{creates} sequential creates in {load_seconds:.1f} s "
          f"({creates / load_seconds:.1f}/s), {errors} errors; "
          f"CPU ms per create (idle rate subtracted over {wall:.1f} s)")
    print("| process | ms per create |")
    print("|---|---:|")
    total = 0.0
    for name in sorted(pids, key=lambda n: -(end[n] - start[n])):
        ms = max(0.0, end[name] - start[name] - idle_rate[name] * wall) * 1000 / creates
        total += ms
        print(f"| {name} | {ms:.1f} |")
    print(f"| **all** | **{total:.1f}** |")


if __name__ == "__main__":
    main()
