#!/bin/sh
# The official image's kafka-broker-api-versions.sh, which compose.yaml's healthcheck runs.
exec java -Xmx128m -Dlog4j2.configurationFile=/opt/kafka/config/tools-log4j2.properties \
  -cp '/opt/kafka/libs/*' org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
