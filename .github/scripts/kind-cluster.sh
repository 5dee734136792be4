#!/usr/bin/env bash
# A kind cluster whose containerd pulls localhost:5001/* from a registry
# container on the same Docker network (kind's documented local registry).
set -euo pipefail

docker run -d --restart=always -p 127.0.0.1:5001:5000 --network bridge --name kind-registry registry:2
kind create cluster --name todo --image kindest/node:v1.34.0 --wait 5m --config - <<'YAML'
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
containerdConfigPatches:
  - |-
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = "/etc/containerd/certs.d"
YAML
for node in $(kind get nodes --name todo); do
  docker exec "$node" mkdir -p /etc/containerd/certs.d/localhost:5001
  printf '[host."http://kind-registry:5000"]\n' | docker exec -i "$node" cp /dev/stdin /etc/containerd/certs.d/localhost:5001/hosts.toml
done
docker network connect kind kind-registry
