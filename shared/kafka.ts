/**
 * The Kafka client factory and the topic set-up every entry point shares.
 * @module
 */
import {
  type Admin,
  Kafka,
  type logCreator,
  logLevel as KafkaLogLevel,
  Partitioners,
  type RetryOptions,
} from "kafkajs";
import process from "node:process";
import "./kafkajs_varints.ts"; // every client made here writes varints in place
import type { Logger, LogLevel } from "./log.ts";
import type { TopicSpec } from "./topics.ts";
import { sleep } from "./timing.ts";

/** The kafkajs log level matching ours, so kafkajs does not even build lines we would drop. */
export function kafkaLogLevel(level: LogLevel): KafkaLogLevel {
  switch (level) {
    case "debug":
      return KafkaLogLevel.DEBUG;
    case "info":
      return KafkaLogLevel.INFO;
    case "warn":
      return KafkaLogLevel.WARN;
    case "error":
      return KafkaLogLevel.ERROR;
  }
}

/**
 * Broker answers that kafkajs logs as errors although they are expected and retried: a coordinator
 * still loading after start-up, CONCURRENT_TRANSACTIONS right after a commit while the
 * coordinator writes its markers, and REBALANCE_IN_PROGRESS whenever an instance of a scaled
 * service joins or leaves (each member logs its "partitions assigned" at info). Logged at debug
 * so real errors stand out.
 */
const EXPECTED_AND_RETRIED = new RegExp(
  [
    "another concurrent operation on the same transaction",
    // kafkajs logs its own restart after a retriable crash at ERROR; the crash is logged anyway.
    "^Restarting the consumer in",
    "coordinator is loading",
    "not the correct coordinator",
    "group coordinator is not available",
    "coordinator is not available",
    "The group is rebalancing",
    // A partition whose leader is still being elected (a broker just started or died): callers
    // that list offsets retry it (retryWhileLeaderMoves).
    "not the leader for that topic-partition",
  ].join("|"),
);

/**
 * kafkajs warns this for every idempotent producer whose retries are bounded. It does not apply
 * here: our producers bound retries on purpose and never rely on them for exactly-once. The order
 * service answers 503 after a failed send and starts a new producer session (the client retries
 * with its Idempotency-Key, consumers drop repeated order ids); the inventory's producers are
 * transactional, so a send that gave up aborts its transaction and the chunk is decided again.
 */
const BOUNDED_RETRIES_WARNING = "Limiting retries for the idempotent producer";

/** Routes kafkajs's own log entries into `logger`, so every line of a service is one JSON format. */
export function kafkaLogCreator(logger: Logger): logCreator {
  return () => ({ namespace, level, log }) => {
    const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
    if (String(message).startsWith(BOUNDED_RETRIES_WARNING)) return;
    const text = `${message} ${fields.error ?? ""}`;
    const target = EXPECTED_AND_RETRIED.test(text)
      ? logger.debug
      : level <= KafkaLogLevel.ERROR
      ? logger.error
      : level === KafkaLogLevel.WARN
      ? logger.warn
      : level === KafkaLogLevel.INFO
      ? logger.info
      : logger.debug;
    target(String(message), { component: `kafkajs.${namespace}`, ...fields });
  };
}

/** Options for {@linkcode createKafka}. */
export interface KafkaOptions {
  clientId: string;
  brokers: string[];
  logger: Logger;
  logLevel?: LogLevel;
  /** How connections and requests are retried; default {@linkcode CLIENT_RETRY}. */
  retry?: RetryOptions;
}

/** Short, bounded retries: callers decide how long to keep trying, kafkajs should not hide it. */
export const CLIENT_RETRY: RetryOptions = {
  initialRetryTime: 100,
  maxRetryTime: 2_000,
  retries: 5,
};

/**
 * Retries of the consumer services: waits of at most 1 s, for about half a minute. A broker that
 * restarts is back in 2-6 s; a consumer that gave up meanwhile crashes and comes back as a new
 * group member, which then waits out its crashed predecessor's 10 s session (it could not leave a
 * broker that was down). Retrying through the restart keeps the member, and a short cap means the
 * broker's return is noticed within a second.
 */
export const CONSUMER_SERVICE_RETRY: RetryOptions = {
  initialRetryTime: 100,
  maxRetryTime: 1_000,
  retries: 30,
};

let warningsRouted = false;

/**
 * Sends Node-style process warnings through `logger` as JSON lines instead of bare stderr text,
 * dropping kafkajs's known-harmless `TimeoutNegativeWarning` (it calls setTimeout with a negative
 * delay once per process).
 */
function routeProcessWarnings(logger: Logger): void {
  if (warningsRouted) return;
  warningsRouted = true;
  process.removeAllListeners("warning");
  process.on("warning", (warning: Error) => {
    if (warning.name === "TimeoutNegativeWarning") return;
    logger.warn(warning.message, { component: "process", warning: warning.name });
  });
}

/** A kafkajs client whose logs (and the process's warnings) go through our logger. */
export function createKafka(options: KafkaOptions): Kafka {
  routeProcessWarnings(options.logger);
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: kafkaLogLevel(options.logLevel ?? "warn"),
    logCreator: kafkaLogCreator(options.logger),
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: options.retry ?? CLIENT_RETRY,
  });
}

/**
 * Group membership timing of both consumer services. A member that dies without leaving the group
 * (`kill -9`, a power cut) keeps its partitions until its session times out: 10 s instead of
 * kafkajs's 30 s default, so the partitions move (and a restarted analytics can reset its group)
 * within seconds. A heartbeat every 2 s leaves four to be missed. Static membership, which would
 * let a restarted member take its place at once, is not available in kafkajs.
 */
export const GROUP_SESSION = { sessionTimeout: 10_000, heartbeatInterval: 2_000 } as const;

/**
 * Resolves once the coordinator of `groupId` answers (describing a group finds its coordinator
 * and waits, through kafkajs's retries, while it is still loading). A consumer that joins before
 * that crashes once with "The coordinator is loading" and is restarted: harmless, but an ERROR
 * line on every fresh start.
 */
export async function waitForGroupCoordinator(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.describeGroups([groupId]);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Calls `request` again while it fails with an error Kafka calls retriable, for up to `timeoutMs`:
 * kafkajs's admin does not retry ListOffsets answered "not the leader", which every offsets request
 * gets for a moment while a broker starts or a leader moves.
 */
export async function retryWhileLeaderMoves<T>(
  request: () => Promise<T>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delayMs = 50;; delayMs = Math.min(delayMs * 2, 1_000)) {
    try {
      return await request();
    } catch (error) {
      const retriable = (error as { retriable?: boolean }).retriable === true;
      if (!retriable || Date.now() + delayMs > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/** Thrown when an existing topic does not match its spec in a way Kafka cannot fix in place. */
export class TopicMismatchError extends Error {
  override name = "TopicMismatchError";
}

/**
 * Creates the topics that do not exist yet and waits for their leaders. Existing topics are kept,
 * but one with a different partition count is an error: keys would land on other partitions.
 */
export async function ensureTopics(admin: Admin, topics: readonly TopicSpec[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existing.has(topic.name));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic: topic.name,
        numPartitions: topic.partitions,
        replicationFactor: -1, // the broker's default.replication.factor
        configEntries: Object.entries(topic.config).map(([name, value]) => ({ name, value })),
      })),
    });
  }
  const present = topics.filter((topic) => existing.has(topic.name));
  if (present.length > 0) await expectPartitions(admin, present);
  return missing.map((topic) => topic.name);
}

/**
 * Throws {@linkcode TopicMismatchError} unless each topic has the partitions its spec says: a
 * service counting on another partition count would send keys to, or own, the wrong partitions.
 */
export async function expectPartitions(
  admin: Admin,
  topics: readonly Pick<TopicSpec, "name" | "partitions">[],
): Promise<void> {
  const metadata = await admin.fetchTopicMetadata({ topics: topics.map((topic) => topic.name) });
  for (const topic of topics) {
    const found = metadata.topics.find((entry) => entry.name === topic.name);
    const partitions = found?.partitions.length ?? 0;
    if (partitions !== topic.partitions) {
      throw new TopicMismatchError(
        `Topic "${topic.name}" has ${partitions} partitions, but EVENT_PARTITIONS says ${topic.partitions}. ` +
          `Set EVENT_PARTITIONS=${partitions} to use the topics as they are, or delete them ` +
          `(with \`deno task up\`'s own broker: its data directory) to create them anew.`,
      );
    }
  }
}

/** Whether a kafkajs client is connected right now, kept up to date from its instrumentation events. */
export interface ConnectionState {
  readonly connected: boolean;
}

/** Options for {@linkcode connectWithRetry}. */
export interface ConnectRetryOptions {
  logger: Logger;
  signal: AbortSignal;
  maxDelayMs?: number;
}

/**
 * Calls `connect` until it succeeds or `signal` aborts, backing off up to `maxDelayMs`.
 * Services start serving HTTP first and connect with this, so a late broker delays
 * readiness instead of crashing the process.
 */
export async function connectWithRetry(
  connect: () => Promise<void>,
  options: ConnectRetryOptions,
): Promise<boolean> {
  const maxDelayMs = options.maxDelayMs ?? 5_000;
  let delayMs = 250;
  while (!options.signal.aborted) {
    try {
      await connect();
      options.logger.info("connected to kafka");
      return true;
    } catch (error) {
      if (error instanceof TopicMismatchError) {
        // Not a broker that is late: nothing changes until someone fixes the setting or topic.
        options.logger.error(error.message, { retry_in_ms: maxDelayMs });
        delayMs = maxDelayMs;
      } else {
        options.logger.warn("cannot connect to kafka yet, retrying", {
          error,
          retry_in_ms: delayMs,
        });
      }
      await sleep(delayMs, options.signal);
      delayMs = Math.min(delayMs * 2, maxDelayMs);
    }
  }
  return false;
}

/**
 * The partition Kafka's default partitioner (murmur2, as the Java client) picks for a key among
 * `partitions`. Producers choose it up front so they know each message's partition; consumers use
 * it to check that a message sits where its key says.
 */
export function keyPartitioner(partitions: number): (key: string) => number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [],
    isr: [],
  }));
  return (key) => partitioner({ topic: "", partitionMetadata, message: { key, value: null } });
}
