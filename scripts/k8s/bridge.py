#!/usr/bin/env python3
"""Forwards loopback ports of this machine to addresses inside the node's
network namespace (scripts/lib/k8s.sh), so tests on the machine reach the
cluster's Services and pods while the cluster's network stays private.

    bridge.py NETNS_PATH ROUTES_FILE

ROUTES_FILE has one `LISTEN_PORT TARGET_IP:TARGET_PORT [NETNS]` per line:
the target is reached from NETNS_PATH, or from NETNS (a pod's own network
namespace, for listeners bound to the pod's loopback such as daprd's API);
SIGHUP reloads it (pods move when they are replaced). Listeners are made in
this process's own namespace; upstream sockets are created by one thread
per target namespace that entered it (setns affects only the calling
thread, and a socket stays in the namespace it was created in).
"""

import ctypes
import os
import queue
import signal
import socket
import sys
import threading

CLONE_NEWNET = 0x40000000


class Upstream(threading.Thread):
    """Creates sockets inside the target network namespace on request."""

    def __init__(self, netns):
        super().__init__(daemon=True)
        self.netns = netns
        self.requests = queue.Queue()
        self.ready = threading.Event()
        self.error = None

    def run(self):
        libc = ctypes.CDLL(None, use_errno=True)
        try:
            fd = os.open(self.netns, os.O_RDONLY)
        except OSError as e:  # the pod is gone; refuse rather than hang
            self.error = e
            self.ready.set()
            return
        if libc.setns(fd, CLONE_NEWNET) != 0:
            self.error = OSError(ctypes.get_errno(), "setns " + self.netns)
        os.close(fd)
        self.ready.set()
        while True:
            reply = self.requests.get()
            try:
                reply.put(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            except OSError as e:
                reply.put(e)

    def socket(self):
        reply = queue.Queue(1)
        self.requests.put(reply)
        sock = reply.get()
        if isinstance(sock, Exception):
            raise sock
        return sock


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class Bridge:
    def __init__(self, netns, routes_file):
        self.routes_file = routes_file
        self.netns = netns
        self.upstreams = {}
        self.ns_lock = threading.Lock()
        if isinstance(self.upstream_for(netns), Exception):
            sys.exit(f"bridge: cannot enter {netns}")
        self.targets = {}
        self.listeners = {}
        self.lock = threading.Lock()

    def upstream_for(self, netns):
        """The socket-making thread of a namespace (started on first use)."""
        with self.ns_lock:
            upstream = self.upstreams.get(netns)
            if upstream is None:
                upstream = Upstream(netns)
                upstream.start()
                upstream.ready.wait()
                if upstream.error:
                    return upstream.error
                self.upstreams[netns] = upstream
            return upstream

    def load(self):
        targets = {}
        with open(self.routes_file) as f:
            for line in f:
                parts = line.split()
                if len(parts) not in (2, 3):
                    continue
                host, _, port = parts[1].rpartition(":")
                if host:
                    netns = parts[2] if len(parts) == 3 else self.netns
                    targets[int(parts[0])] = ((host, int(port)), netns)
        with self.lock:
            self.targets = targets
        for port in targets:
            if port not in self.listeners:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(("127.0.0.1", port))
                sock.listen(128)
                self.listeners[port] = sock
                threading.Thread(target=self.accept, args=(port, sock), daemon=True).start()
        print(f"bridge: routes {sorted(targets.items())}", flush=True)

    def accept(self, port, listener):
        while True:
            client, _ = listener.accept()
            threading.Thread(target=self.serve, args=(port, client), daemon=True).start()

    def serve(self, port, client):
        with self.lock:
            route = self.targets.get(port)
        if route is None:
            client.close()
            return
        target, netns = route
        try:
            maker = self.upstream_for(netns)
            if isinstance(maker, Exception):
                raise maker
            upstream = maker.socket()
            upstream.connect(target)
        except OSError as e:
            print(f"bridge: {port} -> {target}: {e}", flush=True)
            client.close()
            return
        for s in (client, upstream):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
        back.start()
        pump(client, upstream)
        back.join()
        client.close()
        upstream.close()


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    bridge = Bridge(sys.argv[1], sys.argv[2])
    bridge.load()
    signal.signal(signal.SIGHUP, lambda *_: bridge.load())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
