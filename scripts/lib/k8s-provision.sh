# Provisions the parts of the single-node Kubernetes cluster that
# `scripts/stack k8s` runs, pinned, into $STACK_CACHE, from package
# registries only (the Go module proxy and Debian's apt). Nothing is
# installed on the machine: Debian packages are unpacked with dpkg -x.
# Each part is skipped when present. Sourced after common.sh, provision.sh
# and helm.sh.

K8S_VERSION=v1.34.4
# The published staging modules (k8s.io/api, client-go, ...) of that release.
K8S_STAGING_VERSION=v0.34.4
CRANE_VERSION=v0.22.1
COREDNS_VERSION=v1.12.4
K8S_CACHE="$STACK_CACHE/k8s-$K8S_VERSION"
K8S_BIN="$K8S_CACHE/bin"
K8S_DEBS="$K8S_CACHE/debs"
K8S_BINARIES="kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl"
# Debian packages the node runs from (bookworm's versions; recorded in
# $K8S_DEBS/versions when unpacked).
K8S_DEB_PACKAGES="containerd runc containernetworking-plugins etcd-server iptables libip4tc2 libip6tc2
libxtables12 libnfnetlink0 libnetfilter-conntrack3 libnftnl11 libmnl0 conntrack
libnetfilter-cthelper0 libnetfilter-cttimeout1 libnetfilter-queue1 redis-server redis-tools liblzf1
libjemalloc2"

# k8s_module_dir: the k8s.io/kubernetes module in Go's module cache.
k8s_module_dir() {
  retry 5 3 go mod download -json "k8s.io/kubernetes@$K8S_VERSION" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("Dir") or sys.exit(d.get("Error")))'
}

# The module zip carries no usable staging/ (only OWNERS files), so its
# ./staging replaces point at the published k8s.io/* modules of the same
# release instead; the sample-* modules are not served by the proxy (it
# refuses v0.0.0) and nothing built here needs them. Idempotent.
k8s_source_rewrite() {
  rm -f go.work go.work.sum
  local mods mod
  mods=$(go mod edit -json | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("Replace") or []:
    if r["New"]["Path"].startswith("./staging/"):
        print(r["Old"]["Path"])')
  for mod in $mods; do
    case $mod in
    k8s.io/sample-*) go mod edit -dropreplace "$mod" -droprequire "$mod" ;;
    *) go mod edit -replace "$mod=$mod@$K8S_STAGING_VERSION" ;;
    esac
  done
}

provision_k8s_binaries() {
  local b missing=
  for b in $K8S_BINARIES; do [ -x "$K8S_BIN/$b" ] || missing=1; done
  if [ -z "$missing" ] && "$K8S_BIN/kubectl" version --client 2>/dev/null | grep -q "$K8S_VERSION"; then
    info "Kubernetes $K8S_VERSION: present in $K8S_BIN"
    return
  fi
  step "Building Kubernetes $K8S_VERSION from the Go module (first run only; 10-20 min on 2 idle cores)"
  local module src="$STACK_CACHE/src/kubernetes-$K8S_VERSION"
  module=$(k8s_module_dir) ||
    fail "go could not download k8s.io/kubernetes@$K8S_VERSION" "check access to the Go module proxy, then run again"
  if [ ! -f "$src/go.mod" ]; then
    rm -rf "$src" && mkdir -p "$(dirname "$src")"
    cp -r "$module" "$src" && chmod -R u+w "$src"
  fi
  (cd "$src" && GOWORK=off k8s_source_rewrite) || fail "rewriting the Kubernetes go.mod failed" "delete $src and run again"
  # The version the binaries report (they say v0.0.0-master otherwise).
  local v=${K8S_VERSION#v} ldflags="-s -w" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags="$ldflags -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=${v%%.*}"
    ldflags="$ldflags -X $pkg.gitMinor=$(echo "$v" | cut -d. -f2) -X $pkg.gitTreeState=clean"
    ldflags="$ldflags -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  mkdir -p "$K8S_BIN"
  local targets=()
  for b in $K8S_BINARIES; do targets+=("./cmd/$b"); done
  (cd "$src" && retry 4 10 env GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 \
    go build -trimpath -ldflags "$ldflags" -o "$K8S_BIN/" "${targets[@]}") ||
    fail "building Kubernetes $K8S_VERSION failed" "read the go output above; check access to the Go module proxy, then run again"
}

# The sandbox ("pause") container's program, from the same module.
provision_k8s_pause() {
  [ -x "$K8S_BIN/pause" ] && { info "pause: present"; return; }
  local module
  module=$(k8s_module_dir) || fail "go could not download k8s.io/kubernetes@$K8S_VERSION" "check access to the Go module proxy"
  gcc -Os -static -Wall -DVERSION="$K8S_VERSION" -o "$K8S_BIN/pause" "$module/build/pause/linux/pause.c" ||
    fail "gcc could not build pause.c" "install gcc with static libc (libc6-dev), then run again"
}

# Debian packages, downloaded with apt-get download and unpacked into
# $K8S_DEBS/root (never installed).
provision_k8s_debs() {
  if [ -f "$K8S_DEBS/versions" ] && [ -x "$K8S_DEBS/root/usr/bin/containerd" ]; then
    info "Debian packages (containerd, runc, CNI, etcd, iptables, redis): present"
    return
  fi
  step "Downloading and unpacking the node's Debian packages (containerd, runc, CNI plugins, etcd, iptables, redis)"
  local dl="$K8S_DEBS/download" deb
  rm -rf "$K8S_DEBS" && mkdir -p "$dl" "$K8S_DEBS/root"
  # shellcheck disable=SC2086
  (cd "$dl" && retry 3 5 apt-get download $K8S_DEB_PACKAGES) ||
    fail "apt-get download failed" "run 'apt-get update' (the package lists may be missing), then run again"
  for deb in "$dl"/*.deb; do
    dpkg -x "$deb" "$K8S_DEBS/root"
    dpkg-deb -W --showformat='${Package} ${Version}\n' "$deb" >>"$K8S_DEBS/versions"
  done
  rm -rf "$dl"
}

provision_crane() { go_tool crane github.com/google/go-containerregistry/cmd/crane "$CRANE_VERSION"; }
provision_coredns() { go_tool coredns github.com/coredns/coredns "$COREDNS_VERSION"; }

# Dapr's control plane (operator, sidecar injector, sentry, placement) from
# the same source copy and with the same tags and version as daprd
# (provision_dapr), so every image of the cluster is one Dapr build.
provision_dapr_control_plane() {
  provision_dapr
  local src="$STACK_CACHE/src/dapr-$DAPR_VERSION" cmd targets=()
  for cmd in operator injector sentry placement; do
    [ -x "$DAPR_BIN/$cmd" ] || targets+=("./cmd/$cmd")
  done
  if [ ${#targets[@]} -gt 0 ]; then
    [ -f "$src/go.mod" ] || fail "no Dapr source copy in $src to build the control plane from (daprd came from $DAPR_BIN)" \
      "remove that daprd so provision_dapr builds it from source, then run again"
    step "Building Dapr's ${targets[*]#./cmd/} $DAPR_VERSION from the Go module (first run only)"
    (cd "$src" && retry 4 5 env GOFLAGS=-mod=mod GONOSUMDB=github.com/dapr/durabletask-go CGO_ENABLED=0 go build \
      -tags stablecomponents,conversation_echo \
      -ldflags "-X github.com/dapr/dapr/pkg/buildinfo.version=$DAPR_VERSION -s -w" \
      -o "$DAPR_BIN/" "${targets[@]}") ||
      fail "building Dapr's control plane failed" "read the go output above; check access to the Go module proxy, then run again"
  else
    info "Dapr operator, injector, sentry, placement $DAPR_VERSION: present"
  fi
  DAPR_CHART="$src/charts/dapr"
}

provision_k8s() {
  mkdir -p "$K8S_BIN"
  provision_k8s_binaries
  provision_k8s_pause
  provision_k8s_debs
  provision_crane
  provision_coredns
  provision_helm
  provision_wasmtime
  provision_dapr_control_plane
  kafka_install "$STACK_CACHE"
  export PATH="$K8S_BIN:$PATH"
}
