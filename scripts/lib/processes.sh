# shellcheck shell=bash
# Starting and stopping the stack's processes. Each runs in its own session
# (setsid), so stopping it stops everything it started. Sourced.

log_of() { echo "$STACK_DIR/logs/$1.log"; }

# spawn NAME CMD...: starts CMD in the background, logging to logs/NAME.log.
spawn() {
  local name=$1
  shift
  mkdir -p "$STACK_DIR/logs" "$STACK_DIR/pids"
  setsid "$@" >>"$(log_of "$name")" 2>&1 </dev/null &
  echo $! >"$STACK_DIR/pids/$name.pid"
}

alive() { [ -f "$STACK_DIR/pids/$1.pid" ] && kill -0 "$(cat "$STACK_DIR/pids/$1.pid")" 2>/dev/null; }

running_names() {
  local f
  for f in "$STACK_DIR"/pids/*.pid; do
    [ -e "$f" ] || continue
    alive "$(basename "$f" .pid)" && basename "$f" .pid
  done
  return 0
}

# gone PID...: true when none of the processes is alive.
gone() {
  local pid
  for pid in "$@"; do kill -0 "$pid" 2>/dev/null && return 1; done
  return 0
}

# stop_pids SIGNAL SECONDS PID...: sends SIGNAL to each process group (to the
# process alone if it leads none), waits up to SECONDS for all to exit, then
# SIGKILLs what is left. The one way the scripts stop processes.
stop_pids() {
  local signal=$1 seconds=$2 pid
  shift 2
  [ $# -gt 0 ] || return 0
  for pid in "$@"; do kill "-$signal" -- "-$pid" 2>/dev/null || kill "-$signal" "$pid" 2>/dev/null || true; done
  retry --quiet $((seconds * 20)) 0.05 gone "$@" && return 0
  for pid in "$@"; do kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; done
}

# stop SIGNAL SECONDS NAME...: stop_pids for the named processes of the
# stack (their pid files), which are then forgotten.
stop() {
  local signal=$1 seconds=$2 name pids=()
  shift 2
  for name in "$@"; do
    [ -e "$STACK_DIR/pids/$name.pid" ] && pids+=("$(cat "$STACK_DIR/pids/$name.pid")")
  done
  stop_pids "$signal" "$seconds" "${pids[@]}"
  for name in "$@"; do rm -f "$STACK_DIR/pids/$name.pid"; done
}

# stop_all: every process of the stack, waiting up to 15 s before KILL.
stop_all() {
  local f names=()
  for f in "$STACK_DIR"/pids/*.pid; do
    [ -e "$f" ] && names+=("$(basename "$f" .pid)")
  done
  stop TERM 15 "${names[@]}"
}

# stop_one NAME: one process group, waiting up to 10 s before KILL.
stop_one() { stop TERM 10 "$1"; }
