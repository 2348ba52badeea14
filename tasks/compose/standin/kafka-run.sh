#!/bin/sh
# Starts Kafka from KAFKA_* variables, as the official apache/kafka image does: KAFKA_FOO_BAR
# becomes foo.bar, a double underscore an underscore, a triple one a dash. The storage is
# formatted on first start (CLUSTER_ID, or the official image's default id).
set -eu
props=/opt/kafka/config/server.properties
: > "$props"
env | while IFS='=' read -r name value; do
  case "$name" in
    KAFKA_HEAP_OPTS | KAFKA_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_LOG4J_OPTS | KAFKA_GC_LOG_OPTS | \
      KAFKA_JMX_OPTS | KAFKA_DEBUG | KAFKA_VERSION) ;;
    KAFKA_*)
      key=$(printf '%s' "${name#KAFKA_}" | tr 'A-Z' 'a-z' |
        sed -e 's/___/-/g' -e 's/__/\x01/g' -e 's/_/./g' -e 's/\x01/_/g')
      printf '%s=%s\n' "$key" "$value" >> "$props"
      ;;
  esac
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
