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

# stop_all: TERM every process group, wait up to 15 s, then KILL what is left.
stop_all() {
  local f pid i
  for f in "$STACK_DIR"/pids/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for ((i = 0; i < 60; i++)); do
    [ -z "$(running_names)" ] && break
    sleep 0.25
  done
  for f in "$STACK_DIR"/pids/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$f"
  done
}

# stop_one NAME: stops one process group, waiting up to 10 s before KILL.
stop_one() {
  local f="$STACK_DIR/pids/$1.pid" pid i
  [ -e "$f" ] || return 0
  pid=$(cat "$f")
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 40; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$f"
}
