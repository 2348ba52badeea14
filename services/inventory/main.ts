/** Inventory consumer: wires configuration, the stock menu, Kafka, the processor and HTTP. */
import { INVENTORY } from "@campus/shared/services";
import { ConfigError, loadConfig } from "@campus/shared/config";
import { createLogger } from "@campus/shared/log";
import {
  CONSUMER_SERVICE_RETRY,
  createKafka,
  expectPartitions,
  keyPartitioner,
} from "@campus/shared/kafka";
import { runService } from "@campus/shared/service";
import {
  INVENTORY_CHANGELOG,
  INVENTORY_DECIDED,
  INVENTORY_EVENTS,
  INVENTORY_GROUP,
  ORDER_EVENTS,
} from "@campus/shared/topics";
import { inventoryEnv } from "./config.ts";
import { createInventoryHandler } from "./handler.ts";
import { watchLag } from "@campus/shared/lag";
import { createInventoryMetrics } from "./metrics.ts";
import { kafkaInventoryPort } from "./kafka_port.ts";
import { InventoryProcessor } from "./processor.ts";
import { parseMenu } from "./stock.ts";

const config = (() => {
  try {
    return loadConfig(inventoryEnv);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    Deno.exit(1);
  }
})();
const logger = createLogger({ service: "inventory", level: config.LOG_LEVEL });
let menu: Map<string, number>;
try {
  menu = parseMenu(await Deno.readTextFile(config.INVENTORY_FILE), config.INVENTORY_FILE);
} catch (error) {
  logger.error(`Cannot load the initial stock from INVENTORY_FILE="${config.INVENTORY_FILE}"`, {
    error,
  });
  Deno.exit(1);
}
const kafka = createKafka({
  clientId: INVENTORY.clientId,
  brokers: config.KAFKA_BOOTSTRAP_SERVERS,
  logger,
  retry: CONSUMER_SERVICE_RETRY,
});
const throttle = { seconds: config.PROCESSING_DELAY };
const metrics = createInventoryMetrics({ delaySeconds: () => throttle.seconds });
const partitionFor = keyPartitioner(config.EVENT_PARTITIONS);
const processor = new InventoryProcessor({
  kafka: kafkaInventoryPort(kafka, { logger, menu, partitionFor }),
  logger,
  menu,
  partitionFor,
  delaySeconds: () => throttle.seconds,
  onDecided: (outcomes) => metrics.countOutcomes(outcomes),
  onTransaction: (ok) => metrics.transactions.inc({ outcome: ok ? "committed" : "aborted" }),
  onRebalance: () => metrics.rebalances.inc(),
});

const admin = kafka.admin();
let adminConnected = false;
const lag = watchLag(admin, {
  groupId: INVENTORY_GROUP,
  topic: ORDER_EVENTS,
  active: () => adminConnected,
  onLag: (partitions) => {
    for (const [partition, behind] of partitions) {
      metrics.lag.set({ partition: String(partition) }, behind);
    }
  },
  onError: (error) => logger.debug("cannot read consumer lag", { error }),
});

Deno.exit(
  await runService({
    handler: createInventoryHandler({
      // "Connected" means in the group: it turns false when the consumer crashes or stops.
      kafka: {
        get connected() {
          return processor.ready;
        },
      },
      isReady: () => processor.ready,
      stock: () => processor.stock(),
      partitions: () => processor.partitions,
      lag: () => lag.partitions,
      refreshLag: () => lag.refresh(),
      throttle,
      metrics,
      adminToken: config.ADMIN_TOKEN,
    }),
    hostname: config.HOST,
    port: config.INVENTORY_PORT,
    logger,
    connect: async () => {
      await admin.connect();
      // Order partition N's state lives in partition N of the changelogs: all must agree.
      await expectPartitions(
        admin,
        [ORDER_EVENTS, INVENTORY_EVENTS, INVENTORY_CHANGELOG, INVENTORY_DECIDED].map((name) => ({
          name,
          partitions: config.EVENT_PARTITIONS,
        })),
      );
      // Lag is read from the group's committed offsets, which exist before this member consumes:
      // while it starts, /lag says how far behind the group really is, not a stale 0.
      adminConnected = true;
      await processor.start();
    },
    close: async () => {
      lag.stop();
      await processor.stop();
      await admin.disconnect();
    },
  }),
);
