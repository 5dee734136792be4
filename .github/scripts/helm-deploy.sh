#!/usr/bin/env bash
# helm-deploy.sh VALUES_FILE: installs or upgrades release "todo" from the
# chart and images release.yml published to GHCR, waits until every
# service is ready (their readiness probes are /healthz) and checks that
# todo-api answers through its Service. Run by deploy.yml with
# kubectl already pointed at the cluster; VERSION and NAMESPACE set.
set -euo pipefail

values=${1:?usage: helm-deploy.sh VALUES_FILE}
: "${VERSION:?}" "${NAMESPACE:?}"
registry="ghcr.io/${GITHUB_REPOSITORY_OWNER,,}"

# The chart's values file names the cloud's own registry; this deploy uses
# the images the release pushed to GHCR (make those packages public or add
# a pull secret through image.pullSecrets).
helm upgrade --install todo "oci://$registry/charts/todo" --version "$VERSION" \
  --namespace "$NAMESPACE" --create-namespace -f "$values" \
  --set image.registry="$registry" --set spinApp.tag="$VERSION" --set realtime.tag="$VERSION" \
  --wait --timeout 10m

# The spin-operator creates one Deployment per SpinApp, named after it.
for deployment in todo-api recurring notifier audit realtime; do
  kubectl -n "$NAMESPACE" rollout status "deployment/$deployment" --timeout 5m
done

# The API answers through its Service, as the Ingress will reach it.
kubectl -n "$NAMESPACE" port-forward svc/todo-api 18080:80 >/dev/null &
forward=$!
trap 'kill $forward' EXIT
for _ in $(seq 30); do curl -fsS http://127.0.0.1:18080/healthz && break; sleep 2; done
curl -fsS http://127.0.0.1:18080/healthz
echo "todo $VERSION is running in $NAMESPACE"
