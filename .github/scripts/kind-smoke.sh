#!/usr/bin/env bash
# Every pod has its injected daprd; a task written through the todo-api
# Service reads back, and its task.created reaches the audit log (Kafka ->
# audit's daprd -> audit).
set -euo pipefail

missing=$(kubectl -n todo get pods -o json |
  jq -r '.items[] | select([.spec.containers[].name] | index("daprd") | not) | .metadata.name')
[ -z "$missing" ] || { echo "pods without daprd: $missing"; exit 1; }

kubectl -n todo port-forward svc/todo-api 18080:80 >/dev/null &
api=$!
kubectl -n todo port-forward deploy/todo-api 13500:3500 >/dev/null &
sidecar=$!
trap 'kill $api $sidecar' EXIT
for _ in $(seq 30); do curl -fsS http://127.0.0.1:18080/healthz >/dev/null && break; sleep 2; done

secret=$(curl -fsS http://127.0.0.1:13500/v1.0/secrets/secretstore/jwt-secret | jq -r '."jwt-secret"')
token=$(python3 - "$secret" <<'PY'
import base64, hashlib, hmac, json, sys, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
now = int(time.time())
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"sub": "smoke", "iat": now, "exp": now + 600}).encode())
sig = b64(hmac.new(sys.argv[1].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest())
print(f"{head}.{body}.{sig}")
PY
)
auth=(-H "Authorization: Bearer $token")
id=$(curl -fsS -X POST http://127.0.0.1:18080/api/smoke/tasks "${auth[@]}" \
  -H 'Content-Type: application/json' -d '{"title": "smoke"}' | jq -r .id)
curl -fsS "http://127.0.0.1:18080/api/smoke/tasks/$id" "${auth[@]}" | jq -e '.title == "smoke"'
for _ in $(seq 30); do
  curl -fsS "http://127.0.0.1:18080/api/smoke/audit?task_id=$id" "${auth[@]}" |
    jq -e '.items | map(select(.type == "task.created")) | length == 1' && exit 0
  sleep 2
done
echo "task.created of task $id never reached the audit log"
exit 1
