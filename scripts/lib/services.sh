# shellcheck shell=bash
# The stack's one service table: each service's ports, read once from
# scripts/lib/ports.txt (which the e2e crate reads too) and moved by OFFSET.
# Sourced by scripts/stack after OFFSET, REALTIME_REPLICAS and
# CHAT_MODEL_REPLICA are settled.

# SERVICES: the names, in start order. The rest is keyed by name:
# SVC_APP (the app's port), SVC_HTTP and SVC_GRPC (its daprd's APIs),
# SVC_INTERNAL (daprd to daprd), SVC_METRICS, SVC_PUBLIC (realtime's
# WebSockets; empty for the others). PORT: the table's other ports.
SERVICES=()
declare -A SVC_APP SVC_HTTP SVC_GRPC SVC_INTERNAL SVC_METRICS SVC_PUBLIC PORT

# p BASE: a port of the table moved by the stack's offset.
p() { echo $(($1 + OFFSET)); }

# wanted NAME: whether this run starts that service (the replicas are optional).
wanted() {
  case $1 in
    realtime-*) [ "${1#realtime-}" -lt "$REALTIME_REPLICAS" ] ;;
    todo-api-model) [ "$CHAT_MODEL_REPLICA" = 1 ] ;;
    *) true ;;
  esac
}

load_services() {
  local kind name app http grpc internal metrics public
  while read -r kind name app http grpc internal metrics public; do
    case $kind in
      service)
        wanted "$name" || continue
        SERVICES+=("$name")
        SVC_APP[$name]=$(p "$app")
        SVC_HTTP[$name]=$(p "$http")
        SVC_GRPC[$name]=$(p "$grpc")
        SVC_INTERNAL[$name]=$(p "$internal")
        SVC_METRICS[$name]=$(p "$metrics")
        SVC_PUBLIC[$name]=""
        [ "$public" = - ] || SVC_PUBLIC[$name]=$(p "$public")
        ;;
      port) PORT[$name]=$(p "$app") ;;
    esac
  done <"$ROOT/scripts/lib/ports.txt"
}

# The environment may move a few ports (TODO_API_PORT, REALTIME_PORT,
# REALTIME_APP_PORT, KAFKA_PORT); realtime's replicas keep their distance
# from the first one.
apply_port_overrides() {
  local name app_shift public_shift
  SVC_APP[todo-api]=${TODO_API_PORT:-${SVC_APP[todo-api]}}
  app_shift=$((${REALTIME_APP_PORT:-${SVC_APP[realtime]}} - SVC_APP[realtime]))
  public_shift=$((${REALTIME_PORT:-${SVC_PUBLIC[realtime]}} - SVC_PUBLIC[realtime]))
  for name in "${SERVICES[@]}"; do
    [ "$(app_id_of "$name")" = realtime ] || continue
    SVC_APP[$name]=$((SVC_APP[$name] + app_shift))
    SVC_PUBLIC[$name]=$((SVC_PUBLIC[$name] + public_shift))
  done
  PORT[kafka]=${KAFKA_PORT:-${PORT[kafka]}}
  TODO_API_PORT=${SVC_APP[todo-api]}
  REALTIME_PORT=${SVC_PUBLIC[realtime]}
  KAFKA_PORT=${PORT[kafka]}
}

# The Dapr app id of a process: realtime replicas share one.
app_id_of() { case $1 in realtime-*) echo realtime ;; todo-api-model) echo todo-api ;; *) echo "$1" ;; esac; }

# pod_of NAME: the POD_NAME its daprd gets, which names realtime's Kafka
# consumer group ({podName}): one per replica.
pod_of() { if [ "$(app_id_of "$1")" = "$1" ]; then echo "$1-0"; else echo "$1"; fi; }

# partitions_held GROUP: whether Kafka consumer group GROUP holds its
# partitions of task-updates (every row of its description has a member).
partitions_held() {
  kafka_run_class "$STACK_CACHE" org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
    --bootstrap-server "127.0.0.1:$KAFKA_PORT" --describe --group "$1" 2>/dev/null |
    awk -v group="$1" '$1 == group && $2 == "task-updates" { rows++; if ($7 != "-") held++ }
      END { exit !(rows > 0 && held == rows) }'
}

# known_service NAME: fails unless NAME is a service of this stack.
known_service() {
  [ -n "${SVC_APP[$1]:-}" ] || fail "unknown service '$1'" "use one of: ${SERVICES[*]} "
}

# Every port of the stack, as "PORT (what)" lines.
all_ports() {
  local name port
  for name in "${SERVICES[@]}"; do
    for port in "${SVC_APP[$name]}" "${SVC_HTTP[$name]}" "${SVC_GRPC[$name]}" \
      "${SVC_INTERNAL[$name]}" "${SVC_METRICS[$name]}" ${SVC_PUBLIC[$name]}; do
      echo "$port ($name)"
    done
  done
  for name in "${!PORT[@]}"; do
    [ "$name" = chat-model-server ] || echo "${PORT[$name]} ($name)"
  done
  echo "$((PORT[kafka] + 1)) (kafka controller)"
}

# The public WebSocket URL of every realtime replica, space-separated.
realtime_urls() {
  local name urls=()
  for name in "${SERVICES[@]}"; do
    [ -z "${SVC_PUBLIC[$name]}" ] || urls+=("ws://127.0.0.1:${SVC_PUBLIC[$name]}")
  done
  echo "${urls[*]}"
}
