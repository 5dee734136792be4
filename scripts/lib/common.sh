# shellcheck shell=bash
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

# retry [--quiet] TRIES DELAY CMD...: runs CMD until it succeeds, at most
# TRIES times, DELAY seconds apart (fractions are fine); unless --quiet,
# says so before each new try. Every wait and retry of the scripts is this loop.
retry() {
  local quiet=0 attempts delay i
  [ "$1" = --quiet ] && { quiet=1; shift; }
  attempts=$1 delay=$2
  shift 2
  for ((i = 1; i <= attempts; i++)); do
    "$@" && return 0
    [ "$i" -lt "$attempts" ] || break
    [ "$quiet" = 1 ] || info "attempt $i/$attempts failed; retrying in ${delay}s"
    sleep "$delay"
  done
  return 1
}

# port_in_use PORT: true when something listens on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# http_ok URL: true when URL answers 2xx within 2 s.
http_ok() { curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; }

# wait_until WHAT SECONDS LOG CMD...: polls CMD every quarter second until
# it succeeds; after SECONDS, shows LOG's last lines and fails saying that
# WHAT did not happen within SECONDS.
wait_until() {
  local what=$1 seconds=$2 log=$3
  shift 3
  retry --quiet $((seconds * 4)) 0.25 "$@" && return 0
  [ -n "$log" ] && [ -f "$log" ] && { echo "--- last lines of $log" >&2; tail -n 30 "$log" >&2; }
  fail "$what within ${seconds}s" "read ${log:-its log}; then run 'scripts/stack stop' and start again"
}

# wait_http NAME URL SECONDS [LOG]: waits for URL to answer 2xx.
wait_http() { wait_until "$1 did not become healthy at $2" "$3" "${4:-}" http_ok "$2"; }

# wait_port NAME PORT SECONDS [LOG]: waits for something to listen on 127.0.0.1:PORT.
wait_port() { wait_until "$1 did not listen on 127.0.0.1:$2" "$3" "${4:-}" port_in_use "$2"; }
