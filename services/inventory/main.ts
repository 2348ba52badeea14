/**
 * Inventory consumer: wires configuration, Kafka and HTTP.
 *
 * Until stock reservation lands it holds only an admin connection: a consumer that committed offsets
 * without deciding orders would make the real implementation skip them.
 */
import { loadConfig } from "@campus/shared/config";
import { createLogger } from "@campus/shared/log";
import { createKafka, trackConnection } from "@campus/shared/kafka";
import { runService } from "@campus/shared/service";
import { inventoryEnv } from "./config.ts";
import { createInventoryHandler } from "./handler.ts";

const config = loadConfig(inventoryEnv);
const logger = createLogger({ service: "inventory", level: config.LOG_LEVEL });
const kafka = createKafka({
  clientId: "inventory-service",
  brokers: config.KAFKA_BOOTSTRAP_SERVERS,
  logger,
});
const admin = kafka.admin();

runService({
  handler: createInventoryHandler({ kafka: trackConnection(admin) }),
  hostname: config.HOST,
  port: config.INVENTORY_PORT,
  logger,
  connect: () => admin.connect(),
  close: () => admin.disconnect(),
});
