# The deployment path's checks (`helm_check`, run by `scripts/stack test`):
# the chart in helm/todo linted and rendered with each values file, every
# rendered manifest validated (helm/check), and the GitHub Actions workflows
# linted. No cluster is needed. Sourced after common.sh and provision.sh.

HELM_VERSION=v3.19.0
# The Kubernetes API helm 3.19.0 is built against (client-go v0.34); helm's
# own release builds stamp it in, and `helm lint`/`template` assume it.
HELM_K8S_MINOR=34
ACTIONLINT_VERSION=v1.7.12
KUBERNETES_VALIDATE_VERSION=1.37.0
# Schemas the manifests are validated against: the oldest Kubernetes minor
# the target clouds still run.
CHECK_KUBE_VERSION=1.33.0

# go_tool NAME PACKAGE VERSION [LDFLAGS]: builds a Go CLI into the cache. The
# Go proxy sometimes refuses a version it serves a moment later (403), so a
# refusal is retried with growing pauses before giving up.
go_tool() {
  local name=$1 package=$2 version=$3 ldflags=${4:-} root="$STACK_CACHE/$1-$3" delay=5 attempt
  if [ ! -x "$root/bin/$name" ]; then
    step "Building $name $version from the Go module proxy (first run only)"
    for attempt in 1 2 3 4; do
      GOBIN="$root/bin" go install -trimpath -ldflags "$ldflags" "$package@$version" && break
      [ "$attempt" = 4 ] && fail "building $name: 'go install $package@$version' failed 4 times" \
        "if the Go proxy answered 403 'not available', wait a few minutes and run again; otherwise read the go output above"
      info "attempt $attempt/4 failed; retrying in ${delay}s"
      sleep "$delay"
      delay=$((delay * 3))
    done
  fi
  export PATH="$root/bin:$PATH"
}

provision_helm() {
  local pkg=helm.sh/helm/v3
  go_tool helm "$pkg/cmd/helm" "$HELM_VERSION" "-s -w -X $pkg/internal/version.version=$HELM_VERSION \
-X $pkg/pkg/lint/rules.k8sVersionMajor=1 -X $pkg/pkg/lint/rules.k8sVersionMinor=$HELM_K8S_MINOR \
-X $pkg/pkg/chartutil.k8sVersionMajor=1 -X $pkg/pkg/chartutil.k8sVersionMinor=$HELM_K8S_MINOR"
}

provision_actionlint() { go_tool actionlint github.com/rhysd/actionlint/cmd/actionlint "$ACTIONLINT_VERSION"; }

# A Python environment with kubernetes-validate (Kubernetes' JSON schemas,
# bundled, so validation needs no network) for helm/check.
provision_manifest_checker() {
  CHECK_VENV="$STACK_CACHE/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
  [ -x "$CHECK_VENV/bin/kubernetes-validate" ] && return
  step "Installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION from PyPI (first run only)"
  rm -rf "$CHECK_VENV"
  python3 -m venv "$CHECK_VENV" ||
    fail "python3 could not create a virtual environment in $CHECK_VENV" "install python3's venv module, then run again"
  retry 3 5 "$CHECK_VENV/bin/pip" install --quiet "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" ||
    fail "pip could not install kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" "check access to PyPI, then run again"
}

# go_module_dir MODULE@VERSION: where the Go module cache holds that module
# (downloaded first if needed; only the directory is printed).
go_module_dir() {
  local attempt dir
  for attempt in 1 2 3 4; do
    dir=$(go mod download -json "$1" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])' 2>/dev/null) &&
      { echo "$dir"; return; }
    sleep $((attempt * 5))
  done
  fail "go could not download $1" "check access to the Go module proxy (it sometimes answers 403 for a while), then run again"
}

# Dapr's CRDs and injector annotations, and the components-contrib release
# daprd is built with: what the rendered manifests are checked against.
locate_dapr_sources() {
  DAPR_SRC=$(go_module_dir "github.com/dapr/dapr@v$DAPR_VERSION")
  local contrib
  contrib=$(awk '$1 == "github.com/dapr/components-contrib" { print $2; exit }' "$DAPR_SRC/go.mod")
  [ -n "$contrib" ] || fail "no components-contrib version in $DAPR_SRC/go.mod" "delete that module from the Go cache and run again"
  CONTRIB_SRC=$(go_module_dir "github.com/dapr/components-contrib@$contrib")
}

# The values sets checked: the four files, and one variant that switches on
# the branches they leave off (runtime: wasmtime as `scripts/stack k8s`
# installs it; mTLS, Redis without a password, Zipkin,
# Prometheus Operator monitors, no ingress).
HELM_CHECK_SETS=(
  "minikube|"
  "aks|-f helm/todo/values-aks.yaml"
  "gke|-f helm/todo/values-gke.yaml"
  "oke|-f helm/todo/values-oke.yaml"
  "wasmtime|-f scripts/k8s/values-cluster.yaml"
  "variant|--set kafka.auth.type=mtls --set state.type=redis --set dapr.tracing.otlp.endpoint= --set dapr.tracing.zipkin.endpoint=http://zipkin.observability:9411/api/v2/spans --set metrics.serviceMonitor.enabled=true --set ingress.enabled=false --set chat.model.enabled=true --set chat.model.endpoint=http://model.example:8000/v1"
)

helm_check() {
  step "Deployment: the Helm chart (lint, render, validate) and the CI workflows"
  provision_helm
  provision_actionlint
  provision_manifest_checker
  locate_dapr_sources
  local out entry name args
  out=$(mktemp -d)
  for entry in "${HELM_CHECK_SETS[@]}"; do
    name=${entry%%|*}
    read -r -a args <<<"${entry#*|}"
    (cd "$ROOT" && helm lint --strict --quiet helm/todo "${args[@]}") ||
      fail "helm lint found problems in helm/todo with the $name values" "fix the chart or values named above"
    (cd "$ROOT" && helm template todo helm/todo --namespace todo --kube-version "$CHECK_KUBE_VERSION" \
      "${args[@]}" >"$out/$name.yaml") ||
      fail "helm template could not render helm/todo with the $name values" "fix the template error above"
  done
  # The chart's own guards must refuse nonsense rather than render it.
  if (cd "$ROOT" && helm template todo helm/todo --set kafka.auth.type=sasl >/dev/null 2>&1); then
    fail "helm/todo rendered with kafka.auth.type=sasl" "the kafka.auth.type guard in _helpers.tpl is broken"
  fi
  if (cd "$ROOT" && helm template todo helm/todo --set runtime=docker >/dev/null 2>&1); then
    fail "helm/todo rendered with runtime=docker" "the runtime guard (todo.runtime in _helpers.tpl) is broken"
  fi
  # No __pycache__ left in the work tree.
  local check=(env PYTHONDONTWRITEBYTECODE=1 "$CHECK_VENV/bin/python")
  "${check[@]}" "$ROOT/helm/check/validate.py" --dapr-src "$DAPR_SRC" --contrib-src "$CONTRIB_SRC" \
    --local-dapr "$ROOT/dapr" --kube-version "$CHECK_KUBE_VERSION" "$out"/*.yaml ||
    fail "the rendered chart failed validation (manifests kept in $out)" "fix helm/todo so the problems above go away"
  (cd "$ROOT/helm/check" && TODO_RENDERED="$out/minikube.yaml" TODO_RENDERED_WASMTIME="$out/wasmtime.yaml" DAPR_SRC="$DAPR_SRC" CONTRIB_SRC="$CONTRIB_SRC" \
    LOCAL_DAPR="$ROOT/dapr" KUBE_VERSION="$CHECK_KUBE_VERSION" "${check[@]}" -m unittest --quiet test_validate) ||
    fail "the chart validator's own tests failed" "see the failures above (helm/check/test_validate.py)"
  (cd "$ROOT" && actionlint .github/workflows/*.yml) ||
    fail "actionlint found problems in .github/workflows" "fix the workflow lines named above"
  rm -rf "$out"
  info "chart: ${#HELM_CHECK_SETS[@]} values sets linted, rendered and validated; workflows linted"
}
