/** Analytics consumer: wires configuration, Kafka, the consumer, the report and HTTP. */
import { ANALYTICS } from "@campus/shared/services";
import { ConfigError, loadConfig } from "@campus/shared/config";
import { createLogger } from "@campus/shared/log";
import { CONSUMER_SERVICE_RETRY, createKafka, expectPartitions } from "@campus/shared/kafka";
import { watchLag } from "@campus/shared/lag";
import { runService } from "@campus/shared/service";
import { ANALYTICS_GROUP, INVENTORY_EVENTS } from "@campus/shared/topics";
import { analyticsEnv, inventoryUrls, producerUrls } from "./config.ts";
import { cached, cachedInventory, readProducers } from "./dashboard.ts";
import { AnalyticsConsumer } from "./consumer.ts";
import { kafkaAnalyticsPort } from "./kafka_port.ts";
import { createAnalyticsHandler } from "./handler.ts";
import { formatReport } from "./report.ts";

const config = (() => {
  try {
    return loadConfig(analyticsEnv);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    Deno.exit(1);
  }
})();
const logger = createLogger({ service: "analytics", level: config.LOG_LEVEL });
const kafka = createKafka({
  clientId: ANALYTICS.clientId,
  brokers: config.KAFKA_BOOTSTRAP_SERVERS,
  logger,
  retry: CONSUMER_SERVICE_RETRY,
});
const admin = kafka.admin();
// Names this process in the summaries it publishes and in its summaries group.
const instance = `${config.ANALYTICS_PORT}-${crypto.randomUUID().slice(0, 8)}`;
const analytics = new AnalyticsConsumer({
  kafka: kafkaAnalyticsPort(kafka, admin, instance),
  logger,
  instance,
});

const inventoryView = cachedInventory(inventoryUrls(config));
const producerView = cached(() => readProducers(producerUrls(config)));
let adminConnected = false;
const lag = watchLag(admin, {
  groupId: ANALYTICS_GROUP,
  topic: INVENTORY_EVENTS,
  active: () => adminConnected,
  onError: (error) => logger.debug("cannot read consumer lag", { error }),
});
const reportTimer = setInterval(() => {
  // A readable block for people watching the terminal; /metrics has the same figures as JSON.
  console.log(
    formatReport(analytics.metrics(), { ...analytics.figures(), lag: lag.total }, new Date()),
  );
}, config.REPORT_INTERVAL * 1000);

// Aborted first on shutdown, so a request waiting for a replay answers instead of holding it up.
const stopping = new AbortController();
Deno.exit(
  await runService({
    stopping,
    handler: createAnalyticsHandler({
      stopping: stopping.signal,
      // "Connected" means consuming: it turns false when the consumer crashes or leaves the group.
      kafka: {
        get connected() {
          return analytics.ready;
        },
      },
      analytics,
      lag: () => lag.total,
      refreshLag: () => lag.refresh(),
      adminToken: config.ADMIN_TOKEN,
      dashboard: async () => ({
        updated_at: new Date().toISOString(),
        metrics: analytics.metrics(),
        analytics: {
          ready: analytics.ready,
          lag: Object.fromEntries(lag.partitions),
          partitions: analytics.partitions,
        },
        inventory: await inventoryView(),
        producer: await producerView(),
      }),
    }),
    hostname: config.HOST,
    port: config.ANALYTICS_PORT,
    logger,
    connect: async () => {
      await admin.connect();
      await expectPartitions(admin, [
        { name: INVENTORY_EVENTS, partitions: config.EVENT_PARTITIONS },
      ]);
      // Lag is read from the group's committed offsets, which exist before this member consumes:
      // while it starts, /lag says how far behind the group really is, not a stale 0.
      adminConnected = true;
      await analytics.start();
    },
    close: async () => {
      lag.stop();
      clearInterval(reportTimer);
      await analytics.stop();
      await admin.disconnect();
    },
  }),
);
