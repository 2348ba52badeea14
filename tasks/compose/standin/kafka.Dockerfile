# A local stand-in for the apache/kafka image, for machines that cannot pull it: the same Kafka
# jars the project runs without containers (from Maven, see tasks/kafka/pom.xml), started the
# way the official image starts, so compose.yaml runs unchanged. Built by `deno task compose:test`
# under its own local name; never tagged as the official image.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY libs/ /opt/kafka/libs/
COPY kafka-run.sh /etc/kafka/docker/run
COPY kafka-broker-api-versions.sh /opt/kafka/bin/kafka-broker-api-versions.sh
COPY log4j2.properties /opt/kafka/config/log4j2.properties
COPY tools-log4j2.properties /opt/kafka/config/tools-log4j2.properties
RUN chmod 755 /etc/kafka/docker/run /opt/kafka/bin/kafka-broker-api-versions.sh \
  && mkdir -p /var/lib/kafka/data
EXPOSE 9092
CMD ["/etc/kafka/docker/run"]
