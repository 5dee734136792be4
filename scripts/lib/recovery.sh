# Recovery tools for events: inspect and redrive dead letters, and rebuild
# a consumer's state by replaying its topics. They use Kafka's own tools
# (from the jars scripts/stack installs), never a service's store directly,
# except to empty a consumer's own store before a replay. Sourced.

# The topics each consumer reads (its Dapr subscriptions).
consumer_topics() {
  case $1 in
    audit) echo "task-events reminders" ;;
    notifier) echo "task-events reminders" ;;
    recurring) echo "task-events" ;;
    *) fail "no consumer named '$1'" "use audit, notifier or recurring" ;;
  esac
}

source_topic() {
  case $1 in
    task-events | task-updates | reminders) echo "$1" ;;
    *) fail "no topic named '$1'" "use task-events, task-updates or reminders" ;;
  esac
}

# The console consumer ends by timing out (the only way to read "all there
# is") and reports that on stdout; drop those lines.
quiet_consumer() { grep -v -e '^\[[0-9-]* [0-9:,]*\] ERROR' -e '^org.apache.kafka.common.errors.TimeoutException' || true; }

# dlq list [TOPIC]: every dead letter of TOPIC (all three by default), one
# line each: partition, offset, headers (the reason Dapr gave), key, value.
dlq_list() {
  local topic
  for topic in ${1:-task-events task-updates reminders}; do
    topic=$(source_topic "$topic")
    step "Dead letters of $topic ($topic-dlq)"
    kafka_run_class "$STACK_CACHE" org.apache.kafka.tools.consumer.ConsoleConsumer \
      --bootstrap-server "127.0.0.1:$KAFKA_PORT" --topic "$topic-dlq" --from-beginning \
      --timeout-ms 4000 --formatter-property print.partition=true --formatter-property print.offset=true \
      --formatter-property print.headers=true --formatter-property print.key=true 2>/dev/null |
      quiet_consumer || true
  done
}

# dlq redrive TOPIC: publishes each dead letter of TOPIC not redriven yet
# back onto TOPIC, with its key (so per-user order holds for what follows).
# The consumer group 'todo-redrive-TOPIC' remembers how far it got, so a
# second run redrives only newer dead letters; consumers dedupe on
# event_id, so a letter that was in fact handled changes nothing.
dlq_redrive() {
  local topic letters count
  topic=$(source_topic "${1:-}")
  step "Redriving the dead letters of $topic"
  letters=$(mktemp)
  kafka_run_class "$STACK_CACHE" org.apache.kafka.tools.consumer.ConsoleConsumer \
    --bootstrap-server "127.0.0.1:$KAFKA_PORT" --topic "$topic-dlq" --group "todo-redrive-$topic" \
    --from-beginning --timeout-ms 4000 --formatter-property print.key=true \
    --formatter-property key.separator=$'\t' 2>/dev/null | quiet_consumer >"$letters" || true
  count=$(wc -l <"$letters")
  if [ "$count" -gt 0 ]; then
    kafka_run_class "$STACK_CACHE" org.apache.kafka.tools.ConsoleProducer \
      --bootstrap-server "127.0.0.1:$KAFKA_PORT" --topic "$topic" \
      --reader-property parse.key=true --reader-property key.separator=$'\t' <"$letters" >/dev/null ||
      fail "publishing the dead letters to $topic failed; they are kept in $letters" \
        "publish that file again with Kafka's console producer once Kafka answers"
  fi
  rm -f "$letters"
  info "$count dead letters of $topic published to $topic again"
}

# replay CONSUMER TIME [--fresh]: rebuilds a consumer's state by reading its
# topics again from TIME (ISO 8601, e.g. 2026-12-03T04:00:00.000, or
# 'earliest'). It stops the consumer and its sidecar, moves its consumer
# group's offsets back, with --fresh empties its own store first, and starts
# it again. Idempotent: the consumers record each event_id once.
replay() {
  local consumer=${1:-} from=${2:-} fresh=${3:-} topics topic args=()
  [ -n "$consumer" ] && [ -n "$from" ] ||
    fail "usage: scripts/stack replay audit|notifier|recurring TIME|earliest [--fresh]" "name the consumer and where to start"
  topics=$(consumer_topics "$consumer")
  for topic in $topics; do args+=(--topic "$topic"); done
  if [ "$from" = earliest ]; then args+=(--to-earliest); else args+=(--to-datetime "$from"); fi
  step "Replaying $topics into $consumer from $from"
  stop TERM 10 "$consumer" "$consumer-dapr"
  kafka_run_class "$STACK_CACHE" org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
    --bootstrap-server "127.0.0.1:$KAFKA_PORT" --group "$consumer" --reset-offsets "${args[@]}" --execute ||
    fail "could not move $consumer's offsets" "is Kafka running? ('scripts/stack status')"
  if [ "$fresh" = --fresh ]; then
    rm -f "$STACK_DIR/data/$consumer.db" "$STACK_DIR/data/$consumer.db-shm" "$STACK_DIR/data/$consumer.db-wal"
    info "$consumer's store emptied"
  fi
  cmd_restart "$consumer"
}
