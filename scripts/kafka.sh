# Apache Kafka 4.x (KRaft, one node) from Maven Central jars, for local runs
# and CI. Sourced; defines functions only.
#
# Tools are run by class name (no shell wrappers ship in the jars):
#   org.apache.kafka.tools.TopicCommand                   topics
#   org.apache.kafka.tools.consumer.ConsoleConsumer       read a topic
#   org.apache.kafka.tools.ConsoleProducer                write a topic
#   kafka.tools.StorageTool                               format the log dirs

KAFKA_VERSION=4.3.1
KAFKA_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

kafka_libs() { echo "$1/kafka-$KAFKA_VERSION/libs"; }

# kafka_install CACHE: copies the broker and tool jars into CACHE (once).
kafka_install() {
  local libs
  libs=$(kafka_libs "$1")
  if [ -f "$libs/.complete" ]; then
    info "kafka $KAFKA_VERSION: present"
    return
  fi
  step "Fetching Apache Kafka $KAFKA_VERSION jars from Maven Central"
  rm -rf "$libs" && mkdir -p "$libs"
  retry 3 5 mvn -q -B -f "$KAFKA_HERE/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DoutputDirectory="$libs" -DincludeScope=runtime ||
    fail "Maven could not fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION" \
      "check access to Maven Central (mvn), then run again"
  touch "$libs/.complete"
}

# kafka_run_class CACHE CLASS ARGS...: runs a Kafka tool class.
kafka_run_class() {
  local libs
  libs=$(kafka_libs "$1")
  shift
  java -Xmx256m -Dlog4j2.configurationFile="$KAFKA_HERE/kafka/log4j2.yaml" -cp "$libs/*" "$@"
}

kafka_is_running() { [ -f "$1/kafka.pid" ] && kill -0 "$(cat "$1/kafka.pid")" 2>/dev/null; }

# kafka_start CACHE DATA_DIR LOG_FILE PORT: starts the broker (controller on
# PORT+1), formatting DATA_DIR on first use only, and waits until it serves.
kafka_start() {
  local cache=$1 data=$2 log=$3 port=$4 libs
  libs=$(kafka_libs "$cache")
  mkdir -p "$data"
  cat >"$data/server.properties" <<PROPS
node.id=1
process.roles=broker,controller
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$((port + 1))
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.quorum.bootstrap.servers=127.0.0.1:$((port + 1))
log.dirs=$data/logs
num.partitions=3
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
  if [ ! -f "$data/logs/meta.properties" ]; then
    kafka_run_class "$cache" kafka.tools.StorageTool format --standalone \
      --config "$data/server.properties" --cluster-id "$(kafka_run_class "$cache" kafka.tools.StorageTool random-uuid)" \
      >>"$log" 2>&1 || fail "formatting Kafka's log directory failed" "read $log"
  fi
  setsid java -Xms256m -Xmx512m -Dlog4j2.configurationFile="$KAFKA_HERE/kafka/log4j2.yaml" \
    -cp "$libs/*" kafka.Kafka "$data/server.properties" >>"$log" 2>&1 </dev/null &
  echo $! >"$data/kafka.pid"
  # Up to 60 s, but no longer than the broker lives.
  retry --quiet 240 0.25 kafka_serving_or_gone "$data" "$port"
  port_in_use "$port" && return 0
  tail -n 30 "$log" >&2
  fail "Kafka did not start on 127.0.0.1:$port" "read $log; 'scripts/stack stop' then start again"
}

# kafka_create_topics CACHE PORT PARTITIONS TOPIC...: creates missing topics.
kafka_create_topics() {
  local cache=$1 port=$2 partitions=$3 topic pids=() failed=0
  shift 3
  # One JVM per topic: started together, they take seconds instead of tens.
  for topic in "$@"; do
    retry 5 2 kafka_run_class "$cache" org.apache.kafka.tools.TopicCommand \
      --bootstrap-server "127.0.0.1:$port" --create --if-not-exists \
      --topic "$topic" --partitions "$partitions" --replication-factor 1 >/dev/null &
    pids+=($!)
  done
  for topic in "${pids[@]}"; do wait "$topic" || failed=1; done
  [ "$failed" = 0 ] || fail "could not create the Kafka topics $*" "read the Kafka log in .stack/logs/kafka.log"
  info "topics: $*"
}

kafka_serving_or_gone() { port_in_use "$2" || ! kafka_is_running "$1"; }

# kafka_stop DATA_DIR: stops the broker, waiting up to 20 s before killing it.
kafka_stop() {
  kafka_is_running "$1" || return 0
  stop_pids TERM 20 "$(cat "$1/kafka.pid")"
}
