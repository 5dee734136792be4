# Installs every real part the stack runs on, pinned, into $STACK_CACHE
# (outside the repository), skipping what is already there. Sourced.

WASMTIME_VERSION=48.0.8
WASM_TOOLS_VERSION=1.263.0
DAPR_VERSION=1.18.3
# The Dapr workflow engine library that daprd 1.18.3 pins; used when the Go
# proxy serves it, otherwise the nearest served patch release (see below).
DURABLETASK_PINNED=v0.12.4
DURABLETASK_FALLBACK=v0.12.1
# The components compiled into daprd: the stable ones, plus the echo and
# OpenAI conversation components (the chat's model contract test points the
# latter at a scripted server on loopback). A marker beside the binary
# (daprd.tags) records what it was built with; a daprd built with other tags
# is rebuilt once (incrementally, through the Go build cache).
DAPRD_TAGS=stablecomponents,conversation_echo,conversation_openai

provision_rust_target() {
  if rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
    info "rust target wasm32-wasip2: present"
    return
  fi
  step "Adding the wasm32-wasip2 Rust target"
  rustup target add wasm32-wasip2 ||
    fail "could not add the wasm32-wasip2 target" "check access to the Rust distribution server, then run again"
}

# cargo_tool NAME CRATE VERSION MINUTES: installs a Rust CLI into the cache
# (MINUTES: how long it took on 2 cores; cargo's lines show the progress).
cargo_tool() {
  local name=$1 crate=$2 version=$3 minutes=$4 root="$STACK_CACHE/$1-$3"
  if [ -x "$root/bin/$name" ]; then
    info "$name $version: present"
  else
    step "Building $name $version from crates.io (first run only; about $minutes min on 2 cores)"
    retry 3 5 cargo install --locked "$crate" --version "$version" --root "$root" ||
      fail "cargo install $crate@$version failed" "read the cargo output above; check access to crates.io, then run again"
  fi
  export PATH="$root/bin:$PATH"
}

provision_wasmtime() {
  if command -v wasmtime >/dev/null && wasmtime --version | grep -q "wasmtime $WASMTIME_VERSION"; then
    info "wasmtime $WASMTIME_VERSION: present on PATH"
    return
  fi
  cargo_tool wasmtime wasmtime-cli "$WASMTIME_VERSION" 15
}

provision_wasm_tools() { cargo_tool wasm-tools wasm-tools "$WASM_TOOLS_VERSION" 3; }

# daprd and the scheduler, from the github.com/dapr/dapr Go module. Its go.mod
# has replace directives, so `go install` cannot build it: download the
# module, copy it somewhere writable and build inside.
provision_dapr() {
  local bin
  for bin in "$HOME/.dapr/bin" "$STACK_CACHE/dapr-$DAPR_VERSION/.dapr/bin"; do
    if [ -x "$bin/daprd" ] && [ -x "$bin/scheduler" ] &&
      [ "$("$bin/daprd" --version 2>/dev/null)" = "$DAPR_VERSION" ] &&
      [ "$(cat "$bin/daprd.tags" 2>/dev/null)" = "$DAPRD_TAGS" ]; then
      DAPR_BIN=$bin
      info "daprd and scheduler $DAPR_VERSION: present in $bin"
      return
    fi
  done
  DAPR_BIN="$STACK_CACHE/dapr-$DAPR_VERSION/.dapr/bin"
  local cmds="daprd scheduler"
  if [ -x "$DAPR_BIN/scheduler" ] && [ -x "$DAPR_BIN/daprd" ] &&
    [ "$("$DAPR_BIN/daprd" --version 2>/dev/null)" = "$DAPR_VERSION" ]; then
    cmds=daprd
    step "Rebuilding daprd $DAPR_VERSION with the tags $DAPRD_TAGS (was: $(cat "$DAPR_BIN/daprd.tags" 2>/dev/null || echo stablecomponents,conversation_echo); once, ~3 min)"
  else
    step "Building daprd and the Dapr scheduler $DAPR_VERSION from the Go module (first run only; ~10 min)"
  fi
  local module src
  module=$(retry 5 3 go mod download -json "github.com/dapr/dapr@v$DAPR_VERSION" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])') ||
    fail "go could not download github.com/dapr/dapr@v$DAPR_VERSION" "check access to the Go module proxy, then run again"
  src="$STACK_CACHE/src/dapr-$DAPR_VERSION"
  if [ ! -f "$src/go.mod" ]; then
    rm -rf "$src" && mkdir -p "$(dirname "$src")"
    cp -r "$module" "$src" && chmod -R u+w "$src"
  fi
  (cd "$src" && dapr_source_fallbacks)
  export GONOSUMDB="github.com/dapr/durabletask-go" GOFLAGS="-mod=mod"
  mkdir -p "$DAPR_BIN"
  local cmd
  for cmd in $cmds; do
    info "go build ./cmd/$cmd (tags $DAPRD_TAGS)"
    # Built under a temporary name and moved into place: a running stack
    # keeps the binary it started with.
    (cd "$src" && retry 6 5 env CGO_ENABLED=0 go build \
      -tags "$DAPRD_TAGS" \
      -ldflags "-X github.com/dapr/dapr/pkg/buildinfo.version=$DAPR_VERSION -s -w" \
      -o "$DAPR_BIN/.$cmd.new" "./cmd/$cmd") ||
      fail "building Dapr $cmd failed" "read the go output above; check access to the Go module proxy, then run again"
    mv -f "$DAPR_BIN/.$cmd.new" "$DAPR_BIN/$cmd"
  done
  echo "$DAPRD_TAGS" >"$DAPR_BIN/daprd.tags"
  [ "$("$DAPR_BIN/daprd" --version)" = "$DAPR_VERSION" ] ||
    fail "the built daprd does not report version $DAPR_VERSION" "delete $DAPR_BIN and run again"
}

# The Go proxy this workplace reaches sometimes refuses a version it served
# a moment ago (403 "not available"), and has refused three of daprd's
# dependencies every time. A few retries ride out the first; for the second,
# daprd is built as close to 1.18.3 as the proxy allows, and says so:
# - durabletask-go v0.12.4 (the workflow engine) -> v0.12.1, the nearest
#   served release of the same minor line; this system runs no workflows;
# - the Pulsar pub/sub component's forked client and Avro library -> the
#   Pulsar component is left out of the build; this system uses Kafka.
dapr_source_fallbacks() {
  if ! retry 3 3 go mod download "github.com/dapr/durabletask-go@$DURABLETASK_PINNED" 2>/dev/null; then
    warn "the Go proxy does not serve durabletask-go $DURABLETASK_PINNED; building daprd with $DURABLETASK_FALLBACK"
    go mod edit -replace "github.com/dapr/durabletask-go=github.com/dapr/durabletask-go@$DURABLETASK_FALLBACK"
  fi
  local pulsar
  pulsar=$(go mod edit -json | python3 -c 'import json,sys; print(next(r["New"]["Path"]+"@"+r["New"]["Version"] for r in json.load(sys.stdin)["Replace"] if r["Old"]["Path"]=="github.com/apache/pulsar-client-go"))')
  if ! retry 3 3 go mod download "$pulsar" "github.com/iskorotkov/avro/v2@v2.33.1" 2>/dev/null; then
    warn "the Go proxy does not serve the Pulsar client fork; building daprd without the Pulsar pub/sub component"
    sed -i '1s|.*|//go:build allcomponents|' cmd/daprd/components/pubsub_pulsar.go
  fi
  # Upstream compiles the OpenAI conversation component only into
  # allcomponents builds; give it its own tag like conversation_echo has.
  sed -i '1s|^//go:build allcomponents$|//go:build allcomponents \|\| conversation_openai|' \
    cmd/daprd/components/conversation_openai.go
}

provision_all() {
  step "Provisioning into $STACK_CACHE"
  mkdir -p "$STACK_CACHE"
  provision_rust_target
  provision_wasmtime
  provision_wasm_tools
  provision_dapr
  kafka_install "$STACK_CACHE"
}

# Finds the installed tools without building anything (for commands that
# act on a running stack).
provision_dapr_quiet() {
  provision_wasmtime >/dev/null
  provision_dapr >/dev/null
}
