/**
 * `deno task rebuild`: makes the inventory service decide every order again from scratch, to
 * show (and check) that its decisions are deterministic. With the service stopped, it empties the
 * stock and decided-orders changelogs (by re-creating them) and moves the group's offsets on order-events to the
 * earliest. On its next start the service begins from the initial stock and re-decides the log in
 * the same order, so each order gets the same decision again; the new results are appended to
 * inventory-events, and consumers drop the repeats by order_id.
 */
import type { Admin } from "kafkajs";
import { commonEnv, ConfigError, loadConfig } from "@campus/shared/config";
import { createKafka, ensureTopics } from "@campus/shared/kafka";
import { createLogger } from "@campus/shared/log";
import { poll } from "@campus/shared/timing";
import {
  DEFAULT_EVENT_PARTITIONS,
  INVENTORY_CHANGELOG,
  INVENTORY_DECIDED,
  INVENTORY_GROUP,
  ORDER_EVENTS,
  topicSpecs,
} from "@campus/shared/topics";

/** The group still has running members: resetting its offsets would be ignored or fought over. */
export class GroupRunningError extends Error {
  override name = "GroupRunningError";
}

/** Resets the inventory service's state and offsets; refuses while the service runs. */
export async function rebuildInventory(admin: Admin): Promise<{ deletedRecords: number }> {
  const { groups } = await admin.describeGroups([INVENTORY_GROUP]);
  const group = groups[0];
  if (group && group.members.length > 0) {
    throw new GroupRunningError(
      `Cannot rebuild while the inventory service runs: group "${INVENTORY_GROUP}" has ` +
        `${group.members.length} member(s) (state ${group.state}). Stop it first.`,
    );
  }
  // Delete and re-create rather than delete records: Kafka refuses DeleteRecords on compacted
  // topics, and the stock changelog is one.
  // Re-created with the partition count of order-events, whose partitions they mirror.
  const metadata = await admin.fetchTopicMetadata({ topics: [ORDER_EVENTS] });
  const partitions = metadata.topics[0]?.partitions.length ?? DEFAULT_EVENT_PARTITIONS;
  const changelogs = topicSpecs(partitions).filter((topic) =>
    topic.name === INVENTORY_CHANGELOG || topic.name === INVENTORY_DECIDED
  );
  let deletedRecords = 0;
  for (const topic of changelogs) {
    const offsets = await admin.fetchTopicOffsets(topic.name);
    deletedRecords += offsets.reduce(
      (sum, entry) => sum + Number(entry.high) - Number(entry.low),
      0,
    );
  }
  await admin.deleteTopics({ topics: changelogs.map((topic) => topic.name) });
  // Deletion finishes in the background; creating too early fails, so retry for a while.
  await poll("the changelogs to be created again", async () => {
    await ensureTopics(admin, changelogs);
    return true;
  }, { timeoutMs: 60_000, intervalMs: 250 });
  await admin.resetOffsets({ groupId: INVENTORY_GROUP, topic: ORDER_EVENTS, earliest: true });
  return { deletedRecords };
}

if (import.meta.main) {
  let config;
  try {
    config = loadConfig({ KAFKA_BOOTSTRAP_SERVERS: commonEnv.KAFKA_BOOTSTRAP_SERVERS });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    Deno.exit(1);
  }
  const logger = createLogger({ service: "rebuild" });
  const admin = createKafka({
    clientId: "rebuild",
    brokers: config.KAFKA_BOOTSTRAP_SERVERS,
    logger,
  }).admin();
  await admin.connect();
  try {
    const { deletedRecords } = await rebuildInventory(admin);
    logger.info("inventory reset: start the inventory service to decide every order again", {
      deleted_changelog_records: deletedRecords,
      group: INVENTORY_GROUP,
      topic: ORDER_EVENTS,
    });
  } catch (error) {
    logger.error(error instanceof GroupRunningError ? error.message : "rebuild failed", { error });
    Deno.exitCode = 1;
  } finally {
    await admin.disconnect();
  }
}
