/**
 * `deno task topics`: creates the topics of shared/topics.ts on the cluster named by
 * KAFKA_BOOTSTRAP_SERVERS, and checks existing ones. `up` does the same itself; this is for an
 * external cluster managed by hand and for the compose file's one-shot `topics` container.
 */
import { createKafka, ensureTopics, TopicMismatchError } from "@campus/shared/kafka";
import { createLogger } from "@campus/shared/log";
import { commonEnv, ConfigError, eventPartitions, loadConfig } from "@campus/shared/config";
import { topicSpecs } from "@campus/shared/topics";

const config = (() => {
  try {
    return loadConfig({
      KAFKA_BOOTSTRAP_SERVERS: commonEnv.KAFKA_BOOTSTRAP_SERVERS,
      EVENT_PARTITIONS: eventPartitions,
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    Deno.exit(1);
  }
})();
const logger = createLogger({ service: "topics" });
const admin = createKafka({ clientId: "topics", brokers: config.KAFKA_BOOTSTRAP_SERVERS, logger })
  .admin();
const topics = topicSpecs(config.EVENT_PARTITIONS);
try {
  await admin.connect();
  const created = await ensureTopics(admin, topics);
  logger.info(created.length > 0 ? "created topics" : "topics already exist", {
    created,
    topics: topics.map((topic) => topic.name),
  });
} catch (error) {
  logger.error(
    error instanceof TopicMismatchError ? error.message : "cannot create topics",
    { error },
  );
  Deno.exitCode = 1;
} finally {
  await admin.disconnect();
}
