/** Producer Order service: wires configuration, Kafka, the batcher and HTTP. */
import { PRODUCER } from "@campus/shared/services";
import { ConfigError, loadConfig } from "@campus/shared/config";
import { createLogger } from "@campus/shared/log";
import { createKafka, expectPartitions } from "@campus/shared/kafka";
import { runService } from "@campus/shared/service";
import { ORDER_EVENTS } from "@campus/shared/topics";
import { ProduceBatcher } from "./batcher.ts";
import { producerEnv } from "./config.ts";
import { createProducerHandler } from "./handler.ts";
import { KafkaSender } from "./kafka_sender.ts";
import { createProducerMetrics } from "./metrics.ts";
import { createOrderPublisher } from "./order_publisher.ts";

const config = (() => {
  try {
    return loadConfig(producerEnv);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    Deno.exit(1);
  }
})();
const logger = createLogger({ service: "producer", level: config.LOG_LEVEL });
const kafka = createKafka({
  clientId: PRODUCER.clientId,
  brokers: config.KAFKA_BOOTSTRAP_SERVERS,
  logger,
});
const sender = new KafkaSender({
  kafka,
  topic: ORDER_EVENTS,
  partitions: config.EVENT_PARTITIONS,
  logger,
  sendTimeoutMs: config.PRODUCE_TIMEOUT_MS,
});
// Sampled at scrape time, when the batcher below exists.
const metrics = createProducerMetrics({
  ready: () => sender.ready,
  pending: () => batcher.pendingMessages,
});
const batcher = new ProduceBatcher(sender.send, {
  lingerMs: config.LINGER_MS,
  maxBatchMessages: config.MAX_BATCH_MESSAGES,
  maxPendingMessages: config.MAX_PENDING_MESSAGES,
  timeoutMs: config.PRODUCE_TIMEOUT_MS,
  connection: sender,
  onBatch: (size, seconds, ok) => {
    metrics.batchSize.observe(size);
    metrics.produceLatency.observe({ outcome: ok ? "acked" : "failed" }, seconds);
  },
});

Deno.exit(
  await runService({
    handler: createProducerHandler({
      publish: createOrderPublisher(batcher, (key) => sender.partitionFor(key)),
      isReady: () => sender.ready,
      kafka: {
        get connected() {
          return sender.ready;
        },
      },
      now: () => new Date(),
      newId: () => crypto.randomUUID(),
      metrics,
      logger,
    }),
    hostname: config.HOST,
    port: config.PRODUCER_PORT,
    logger,
    connect: async () => {
      // Keys are partitioned here (kafka_sender.ts): refuse a topic of another partition count.
      const admin = kafka.admin();
      await admin.connect();
      try {
        await expectPartitions(admin, [{
          name: ORDER_EVENTS,
          partitions: config.EVENT_PARTITIONS,
        }]);
      } finally {
        await admin.disconnect();
      }
      await sender.connect();
    },
    close: async () => {
      await batcher.close();
      await sender.close();
    },
  }),
);
