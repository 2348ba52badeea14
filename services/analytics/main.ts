/**
 * Analytics consumer: wires configuration, Kafka and HTTP.
 *
 * Until the metrics land it holds only an admin connection: a consumer that committed offsets
 * without counting results would make the real implementation skip them.
 */
import { loadConfig } from "@campus/shared/config";
import { createLogger } from "@campus/shared/log";
import { createKafka, trackConnection } from "@campus/shared/kafka";
import { runService } from "@campus/shared/service";
import { analyticsEnv } from "./config.ts";
import { createAnalyticsHandler } from "./handler.ts";

const config = loadConfig(analyticsEnv);
const logger = createLogger({ service: "analytics", level: config.LOG_LEVEL });
const kafka = createKafka({
  clientId: "analytics-service",
  brokers: config.KAFKA_BOOTSTRAP_SERVERS,
  logger,
});
const admin = kafka.admin();

runService({
  handler: createAnalyticsHandler({ kafka: trackConnection(admin) }),
  hostname: config.HOST,
  port: config.ANALYTICS_PORT,
  logger,
  connect: () => admin.connect(),
  close: () => admin.disconnect(),
});
