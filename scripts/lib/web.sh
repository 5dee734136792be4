# shellcheck shell=bash
# The web app (web/): its npm packages, its build (embedded into todo-api
# by components/todo-api/build.rs) and its browser tests (Debian's chromium
# driven by playwright-core). Sourced by scripts/stack.

WEB_DIR="$ROOT/web"

# node and npm from Debian when missing (as root, like the rest of provisioning).
provision_node() {
  command -v npm >/dev/null && return
  [ "$(id -u)" = 0 ] || fail "npm is missing" "install Node.js 20 or newer with npm (e.g. apt-get install nodejs npm)"
  info "installing nodejs and npm from Debian (apt-get)"
  apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null &&
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq nodejs npm >/dev/null ||
    fail "installing nodejs and npm failed" "install Node.js 20 or newer with npm yourself"
}

# web/node_modules from the lockfile, again whenever the lockfile is newer.
provision_web_packages() {
  provision_node
  if [ ! -d "$WEB_DIR/node_modules" ] || [ "$WEB_DIR/package-lock.json" -nt "$WEB_DIR/node_modules/.package-lock.json" ]; then
    info "installing the web app's npm packages (npm ci; about a minute the first time)"
    (cd "$WEB_DIR" && npm ci --no-audit --no-fund --loglevel=error) ||
      fail "npm ci failed in web/" "check the network to the npm registry, then run again"
  fi
}

# Debian's chromium for the browser tests (playwright-core drives it; no browser download).
provision_chromium() {
  CHROMIUM="${CHROMIUM:-$(command -v chromium || true)}"
  [ -n "$CHROMIUM" ] && return
  [ "$(id -u)" = 0 ] || fail "chromium is missing" "install Debian's chromium package (apt-get install chromium) or set CHROMIUM"
  info "installing chromium from Debian (apt-get; a few minutes the first time)"
  apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null &&
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null ||
    fail "installing chromium failed" "install Debian's chromium package yourself or set CHROMIUM"
  CHROMIUM=$(command -v chromium)
}

# Builds web/dist (todo-api's build embeds it).
build_web() {
  step "Building the web app (web/)"
  provision_web_packages
  (cd "$WEB_DIR" && npm run --silent build) || fail "building the web app failed" "fix the errors above (cd web && npm run build)"
}

# Vitest, then the browser tests against the running stack; prints the time they take.
test_web() {
  step "Web app: unit tests (Vitest)"
  (cd "$WEB_DIR" && npx vitest run) || fail "web unit tests failed" "see the failures above (cd web && npx vitest run)"
  provision_chromium
  step "Web app: browser tests (chromium) against the stack"
  local started=$SECONDS
  (cd "$WEB_DIR" && CHROMIUM="$CHROMIUM" TODO_APP_URL="http://127.0.0.1:$TODO_API_PORT" \
    STACK_DIR="$STACK_DIR" node --test --test-concurrency=1 browser/) ||
    fail "browser tests failed" "see the failures above; screenshots are in web/browser-out/"
  info "browser tests took $((SECONDS - started))s"
}
