#!/usr/bin/env bash
# What the chart expects to find in the cluster (docs/deploy.md, steps 2-6):
# cert-manager, SpinKube, Dapr, Kafka and Redis under the default names.
set -euo pipefail

kubectl apply -f https://github.com/cert-manager/cert-manager/releases/download/v1.20.0/cert-manager.yaml
kubectl -n cert-manager wait --for=condition=Available deployment --all --timeout 5m

helm upgrade --install runtime-class-manager oci://ghcr.io/spinframework/charts/runtime-class-manager \
  --version 0.2.0 --namespace runtime-class-manager --create-namespace --wait
kubectl apply -f https://github.com/spinframework/containerd-shim-spin/releases/download/v0.25.1/runtime-class-manager-shim-v1alpha1-v0.25.1.yaml
kubectl label node --all spin=true
kubectl apply -f https://github.com/spinframework/spin-operator/releases/download/v0.6.1/spin-operator.crds.yaml
kubectl apply -f https://github.com/spinframework/spin-operator/releases/download/v0.6.1/spin-operator.shim-executor.yaml
helm upgrade --install spin-operator oci://ghcr.io/spinframework/charts/spin-operator \
  --version 0.6.1 --namespace spin-operator --create-namespace --wait

helm repo add dapr https://dapr.github.io/helm-charts/ && helm repo update
helm upgrade --install dapr dapr/dapr --version 1.18.3 --namespace dapr-system --create-namespace \
  --set global.ha.enabled=false --set dapr_scheduler.cluster.storageSize=1Gi --wait --timeout 10m

kubectl create namespace data
kubectl -n data create deployment redis-master --image=redis:7.4 --port 6379
kubectl -n data expose deployment redis-master --port 6379

kubectl create namespace kafka
kubectl -n kafka apply -f - <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: todo-kafka}
spec:
  selector: {matchLabels: {app: kafka}}
  template:
    metadata: {labels: {app: kafka}}
    spec:
      containers:
        - name: kafka
          image: apache/kafka:4.1.0
          env:
            - {name: KAFKA_NODE_ID, value: "1"}
            - {name: KAFKA_PROCESS_ROLES, value: "broker,controller"}
            - {name: KAFKA_LISTENERS, value: "PLAINTEXT://:9092,CONTROLLER://:9093"}
            - {name: KAFKA_ADVERTISED_LISTENERS, value: "PLAINTEXT://todo-kafka-kafka-bootstrap.kafka.svc.cluster.local:9092"}
            - {name: KAFKA_CONTROLLER_LISTENER_NAMES, value: CONTROLLER}
            - {name: KAFKA_LISTENER_SECURITY_PROTOCOL_MAP, value: "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"}
            - {name: KAFKA_CONTROLLER_QUORUM_VOTERS, value: "1@localhost:9093"}
            - {name: KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR, value: "1"}
            - {name: KAFKA_NUM_PARTITIONS, value: "3"}
          ports: [{containerPort: 9092}]
          readinessProbe: {tcpSocket: {port: 9092}, periodSeconds: 5}
---
apiVersion: v1
kind: Service
metadata: {name: todo-kafka-kafka-bootstrap}
spec:
  selector: {app: kafka}
  publishNotReadyAddresses: true
  ports: [{port: 9092}]
YAML
kubectl -n data rollout status deployment/redis-master --timeout 5m
kubectl -n kafka rollout status deployment/todo-kafka --timeout 5m
for topic in task-events task-updates reminders task-events-dlq task-updates-dlq reminders-dlq; do
  kubectl -n kafka exec deploy/todo-kafka -- /opt/kafka/bin/kafka-topics.sh --bootstrap-server localhost:9092 \
    --create --if-not-exists --topic "$topic" --partitions 3 --replication-factor 1
done
