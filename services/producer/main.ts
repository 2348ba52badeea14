/** Producer Order service: wires configuration, Kafka, the batcher and HTTP. */
import { PRODUCER } from "@campus/shared/services";
import { ConfigError, loadConfig } from "@campus/shared/config";
import { createLogger } from "@campus/shared/log";
import { createKafka, expectPartitions, TopicMismatchError } from "@campus/shared/kafka";
import { runService } from "@campus/shared/service";
import { ORDER_EVENTS } from "@campus/shared/topics";
import { DEFAULT_MAX_BATCH_BYTES, ProduceBatcher } from "./batcher.ts";
import { outboxPath, producerEnv } from "./config.ts";
import { createProducerHandler } from "./handler.ts";
import { KafkaSender } from "./kafka_sender.ts";
import { createProducerMetrics } from "./metrics.ts";
import { createOrderPublisher } from "./order_publisher.ts";
import { createOrderSink } from "./order_sink.ts";
import { OrderOutbox } from "./outbox.ts";
import { SqliteOutboxStore, strayOutboxes } from "./outbox_store.ts";

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
// Sampled at scrape time, when the batcher and outbox below exist.
const metrics = createProducerMetrics({
  ready: () => sender.ready,
  pending: () => batcher.pendingMessages,
  outbox: () => outbox?.stats(),
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

/** Set while order-events has another partition count than configured: no order is taken. */
let topicMismatch: string | undefined;

const outbox = config.ORDER_OUTBOX === "off" ? undefined : (() => {
  const path = outboxPath(config);
  try {
    const opened = new OrderOutbox({
      store: SqliteOutboxStore.open(path),
      maxBytes: config.ORDER_OUTBOX_MAX_BYTES,
      send: (messages) => batcher.publish(messages),
      connection: sender,
      partitionFor: (key) => sender.partitionFor(key),
      // The batcher refuses a publish larger than what may wait for it.
      relayBatchMessages: Math.min(config.MAX_BATCH_MESSAGES, config.MAX_PENDING_MESSAGES),
      relayBatchBytes: DEFAULT_MAX_BATCH_BYTES / 2,
      retryDelayMs: 500,
      logger,
      onRelayed: (count) => metrics.ordersRelayed.inc(count),
    });
    for (const stray of strayOutboxes(config.ORDER_OUTBOX_DIR, path)) {
      logger.warn(
        "another producer's outbox holds orders not yet relayed: start a producer on its port to relay them",
        stray,
      );
    }
    return opened;
  } catch (error) {
    logger.error("cannot open the order outbox (ORDER_OUTBOX_DIR; ORDER_OUTBOX=off goes without)", {
      path,
      error,
    });
    Deno.exit(1);
  }
})();
outbox?.start();

Deno.exit(
  await runService({
    handler: createProducerHandler({
      place: createOrderSink({
        publish: createOrderPublisher(batcher, (key) => sender.partitionFor(key)),
        outbox,
        connection: sender,
        refusal: () => topicMismatch,
      }),
      onQueued: (count) => metrics.ordersQueued.inc(count),
      // Ready means orders go straight to Kafka; while not, the outbox (if on) still takes them.
      isReady: () => sender.ready,
      readyDetails: () => (outbox ? { outbox: outbox.stats() } : {}),
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
        topicMismatch = undefined;
      } catch (error) {
        if (error instanceof TopicMismatchError) topicMismatch = error.message;
        throw error;
      } finally {
        await admin.disconnect();
      }
      await sender.connect();
    },
    close: async () => {
      // The relay first: its request in flight goes through the batcher.
      await outbox?.close();
      await batcher.close();
      await sender.close();
    },
  }),
);
