#!/bin/sh
# Starts Kafka from KAFKA_* variables, as the official apache/kafka image does: KAFKA_FOO_BAR
# becomes foo.bar, a double underscore an underscore, a triple one a dash. The storage is
# formatted on first start (CLUSTER_ID, or the official image's default id).
set -eu
props=/opt/kafka/config/server.properties
: > "$props"
# Names from `env`, values from printenv: a value may hold '=' (and a name-like line inside a
# multi-line value is no variable, so printenv finds nothing for it).
for name in $(env | sed -n 's/^\(KAFKA_[A-Za-z0-9_]*\)=.*/\1/p'); do
  case "$name" in
    KAFKA_HEAP_OPTS | KAFKA_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_LOG4J_OPTS | KAFKA_GC_LOG_OPTS | \
      KAFKA_JMX_OPTS | KAFKA_DEBUG | KAFKA_VERSION) continue ;;
  esac
  value=$(printenv "$name") || continue
  key=$(printf '%s' "${name#KAFKA_}" | tr 'A-Z' 'a-z' |
    sed -e 's/___/-/g' -e 's/__/\x01/g' -e 's/_/./g' -e 's/\x01/_/g')
  printf '%s=%s\n' "$key" "$value" >> "$props"
done
classpath='/opt/kafka/libs/*'
# shellcheck disable=SC2086 # the *_OPTS variables hold several JVM options
java ${KAFKA_HEAP_OPTS:-} -Dlog4j2.configurationFile=/opt/kafka/config/tools-log4j2.properties \
  -cp "$classpath" kafka.tools.StorageTool format --ignore-formatted \
  -t "${CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}" -c "$props"
# shellcheck disable=SC2086
exec java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g} ${KAFKA_OPTS:-} \
  -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties \
  -cp "$classpath" kafka.Kafka "$props"
