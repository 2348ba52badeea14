/** Producer Order service: wires configuration, Kafka and HTTP. */
import { Partitioners } from "kafkajs";
import { loadConfig } from "@campus/shared/config";
import { createLogger } from "@campus/shared/log";
import { createKafka, trackConnection } from "@campus/shared/kafka";
import { runService } from "@campus/shared/service";
import { producerEnv } from "./config.ts";
import { createProducerHandler } from "./handler.ts";

const config = loadConfig(producerEnv);
const logger = createLogger({ service: "producer", level: config.LOG_LEVEL });
const kafka = createKafka({
  clientId: "producer-service",
  brokers: config.KAFKA_BOOTSTRAP_SERVERS,
  logger,
});
const producer = kafka.producer({
  idempotent: true,
  maxInFlightRequests: 1,
  createPartitioner: Partitioners.DefaultPartitioner,
});

runService({
  handler: createProducerHandler({ kafka: trackConnection(producer) }),
  hostname: config.HOST,
  port: config.PRODUCER_PORT,
  logger,
  connect: () => producer.connect(),
  close: () => producer.disconnect(),
});
