# Property-based API testing with schemathesis: provisioning (a pinned venv in
# the cache) and one run against the running stack (config:
# e2e/schemathesis/schemathesis.toml). Sourced by scripts/stack.

SCHEMATHESIS_VERSION=4.32.5
# Cases both runs together must reach, so a change to the document or the
# config that quietly generates little fails instead.
SCHEMATHESIS_MIN_CASES=1000
SCHEMATHESIS_FIXED_SEED=20261203
# The second run's seed under CI: a gate must give the same answer twice, so
# CI draws from a fixed seed too; by hand the second run draws a fresh one
# and so keeps exploring (seed 1245227128 found the fractional JSON-RPC id).
SCHEMATHESIS_CI_SEED=1245227128

provision_schemathesis() {
  SCHEMATHESIS_VENV="$STACK_CACHE/schemathesis-$SCHEMATHESIS_VERSION"
  if [ -x "$SCHEMATHESIS_VENV/bin/schemathesis" ] &&
    "$SCHEMATHESIS_VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    info "schemathesis $SCHEMATHESIS_VERSION: present"
    return
  fi
  step "Installing schemathesis $SCHEMATHESIS_VERSION from PyPI, pinned with its dependencies (first run only)"
  rm -rf "$SCHEMATHESIS_VENV"
  python3 -m venv "$SCHEMATHESIS_VENV" ||
    fail "python3 could not create a virtual environment in $SCHEMATHESIS_VENV" "install python3's venv module, then run again"
  retry 3 5 "$SCHEMATHESIS_VENV/bin/pip" install --quiet -r "$ROOT/e2e/schemathesis/requirements.txt" ||
    fail "pip could not install schemathesis==$SCHEMATHESIS_VERSION" "check access to PyPI, then run again"
}

# Runs schemathesis against the stack's API twice: with the fixed seed every
# phase (examples, coverage, fuzzing, stateful), then with a fresh seed
# (SCHEMATHESIS_CI_SEED under CI; printed; replay with SCHEMATHESIS_SEED=<seed>) the phases that draw at
# random (fuzzing, stateful) with more examples: the coverage phase derives
# its cases from the document, and is the slow one. Fails on any failure or
# when both runs together generated fewer than SCHEMATHESIS_MIN_CASES cases.
run_schemathesis() {
  provision_schemathesis
  local started=$SECONDS total=0 failed=0 seed generated out fresh
  export TODO_API_URL="http://127.0.0.1:$TODO_API_PORT"
  SCHEMATHESIS_TOKEN=$(cmd_token fuzzer 2) || fail "no token for the fuzzer" "start the stack first: scripts/stack start"
  export SCHEMATHESIS_TOKEN SCHEMATHESIS_HOOKS="$ROOT/e2e/schemathesis/hooks.py"
  out="$STACK_DIR/schemathesis"
  mkdir -p "$out"
  fresh=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
  [ "${CI:-}" = true ] && fresh=$SCHEMATHESIS_CI_SEED
  local runs=("$SCHEMATHESIS_FIXED_SEED examples,coverage,fuzzing,stateful 6" "$fresh fuzzing,stateful 40")
  [ -n "${SCHEMATHESIS_SEED:-}" ] && runs=("$SCHEMATHESIS_SEED examples,coverage,fuzzing,stateful 6")
  local run phases examples
  for run in "${runs[@]}"; do
    read -r seed phases examples <<<"$run"
    step "schemathesis (seed $seed, phases $phases, $examples examples per operation): every check, against $TODO_API_URL/api/openapi.json"
    if ! (cd "$out" && "$SCHEMATHESIS_VENV/bin/schemathesis" --config-file "$ROOT/e2e/schemathesis/schemathesis.toml" \
      run "$TODO_API_URL/api/openapi.json" --checks all --seed "$seed" --phases "$phases" --max-examples "$examples" \
      --no-color | tee "$out/seed-$seed.txt"); then
      failed=1
      warn "schemathesis found failures with seed $seed (replay: SCHEMATHESIS_SEED=$seed scripts/stack schemathesis)"
    fi
    generated=$(grep -oE '[0-9]+ generated' "$out/seed-$seed.txt" | tail -1 | cut -d' ' -f1)
    total=$((total + ${generated:-0}))
  done
  info "schemathesis: $total cases in $((SECONDS - started))s (output in $out)"
  [ "$failed" = 0 ] || fail "schemathesis found failures" "see the reports above and in $out"
  [ -n "${SCHEMATHESIS_SEED:-}" ] || [ "$total" -ge "$SCHEMATHESIS_MIN_CASES" ] ||
    fail "schemathesis ran only $total cases (at least $SCHEMATHESIS_MIN_CASES expected)" "raise the examples per operation in scripts/lib/schemathesis.sh"
}
