# Shared helpers for scripts/stack: logging, failure messages, waits.
# Sourced, never executed.

STACK_CACHE="${TODO_STACK_CACHE:-$HOME/.cache/todo-stack}"

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
info() { printf '    %s\n' "$*"; }
warn() { printf '\033[33mwarning:\033[0m %s\n' "$*" >&2; }

# fail WHAT FIX: stop with what failed and what to do about it.
fail() {
  printf '\033[31merror:\033[0m %s\n' "$1" >&2
  [ -n "${2:-}" ] && printf '  what to do: %s\n' "$2" >&2
  exit 1
}

# retry N DELAY CMD...: runs CMD until it succeeds, at most N times.
retry() {
  local attempts=$1 delay=$2 i
  shift 2
  for ((i = 1; i <= attempts; i++)); do
    "$@" && return 0
    [ "$i" -lt "$attempts" ] && { info "attempt $i/$attempts failed; retrying in ${delay}s"; sleep "$delay"; }
  done
  return 1
}

# port_in_use PORT: true when something listens on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_http NAME URL SECONDS [LOG]: waits for URL to answer 2xx.
wait_http() {
  local name=$1 url=$2 seconds=$3 log=${4:-} i
  for ((i = 0; i < seconds * 4; i++)); do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    sleep 0.25
  done
  [ -n "$log" ] && [ -f "$log" ] && { echo "--- last lines of $log" >&2; tail -n 30 "$log" >&2; }
  fail "$name did not become healthy at $url within ${seconds}s" \
    "read ${log:-its log}; then run 'scripts/stack stop' and start again"
}
