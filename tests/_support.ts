/**
 * What the integration tests share: where the stack is, and waiting on a condition with a deadline.
 *
 * Every setting falls back to the default local stack, so plain `deno test --allow-net` works
 * against `deno task up`; with env access, PRODUCER_URL and friends point elsewhere.
 * @module
 */
import { AssertionError } from "node:assert/strict";
import type { Admin, Kafka } from "kafkajs";
import { ANALYTICS, defaultUrl, INVENTORY, PRODUCER } from "@campus/shared/services";
import { poll } from "@campus/shared/timing";
import { setting } from "../tasks/lib/setting.ts";

/** Whether a permission is granted without prompting. */
export function granted(descriptor: Deno.PermissionDescriptor): boolean {
  return Deno.permissions.querySync(descriptor).state === "granted";
}

export { setting } from "../tasks/lib/setting.ts";

/** Where the stack under test is. */
export const stack = {
  producerUrl: setting("PRODUCER_URL", defaultUrl(PRODUCER)),
  inventoryUrl: setting("INVENTORY_URL", defaultUrl(INVENTORY)),
  analyticsUrl: setting("ANALYTICS_URL", defaultUrl(ANALYTICS)),
  brokers: setting("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092").split(","),
  /** Set when the stack's admin routes are reached off loopback (containers): see ADMIN_TOKEN. */
  adminToken: setting("ADMIN_TOKEN", ""),
};

/** Headers of a request to an admin route of the stack under test. */
export function adminHeaders(): Record<string, string> {
  return {
    "content-type": "application/json",
    ...(stack.adminToken ? { authorization: `Bearer ${stack.adminToken}` } : {}),
  };
}

/** Variables kafkajs reads on import and construction; reading one without permission throws. */
const KAFKAJS_ENV = [
  "NODE_ENV",
  "KAFKAJS_LOG_LEVEL",
  "KAFKAJS_NO_PARTITIONER_WARNING",
  "KAFKAJS_DEBUG_PROTOCOL_BUFFERS",
  "KAFKAJS_DEBUG_EXTENDED_PROTOCOL_BUFFERS",
];

/**
 * Whether tests may talk to Kafka directly. Under plain `deno test --allow-net` they may not
 * (kafkajs needs env access), so those tests are ignored and the HTTP-only ones still run.
 */
export const kafkaClientAllowed: boolean = KAFKAJS_ENV.every((variable) =>
  granted({ name: "env", variable })
);

/** A kafkajs client for tests: quiet unless something is really wrong. Loaded lazily, see above. */
export async function testKafka(
  clientId: string,
  brokers: string[] = stack.brokers,
): Promise<Kafka> {
  const { Kafka, logLevel } = await import("kafkajs");
  return new Kafka({ clientId, brokers, logLevel: logLevel.ERROR, retry: { retries: 3 } });
}

/** A connected admin client, disconnected by `await using`. */
export async function connectedAdmin(kafka: Kafka): Promise<Admin & AsyncDisposable> {
  const admin = kafka.admin();
  await admin.connect();
  return Object.assign(admin, { [Symbol.asyncDispose]: () => admin.disconnect() });
}

/** A topic name no other test or run uses. */
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * Thrown by a probe of {@linkcode eventually} when waiting longer cannot help (analytics counted
 * too many orders): it fails the wait at once instead of being retried until the deadline.
 */
export class GiveUp extends Error {
  override name = "GiveUp";
}

/**
 * Polls `probe` until it returns something other than `undefined`, or fails after `timeoutMs`
 * with `what` and the last value seen: integration tests wait on conditions, never on sleeps.
 * Errors the probe throws are retried (a service still starting), except {@linkcode GiveUp} and
 * failed assertions, which end the wait at once.
 */
export function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs?: number; intervalMs?: number; lastSeen?: () => unknown } = {},
): Promise<T> {
  return poll(what, probe, {
    timeoutMs: options.timeoutMs ?? 15_000,
    intervalMs: options.intervalMs ?? 100,
    lastSeen: options.lastSeen,
    isFatal: (error) => error instanceof GiveUp || error instanceof AssertionError,
  });
}

/** Whether tests may start their own brokers and services. */
export const canStartProcesses: boolean = granted({ name: "run" }) && granted({ name: "env" }) &&
  granted({ name: "write", path: "./.data" }) && granted({ name: "read", path: "." });

export { type ReadRecord, readToEnd } from "../tasks/lib/read_topic.ts";

/** End offsets of every partition of `topic`. */
export async function endOffsets(kafka: Kafka, topic: string): Promise<Map<number, string>> {
  await using admin = await connectedAdmin(kafka);
  return new Map(
    (await admin.fetchTopicOffsets(topic)).map((entry) => [entry.partition, entry.high]),
  );
}

/**
 * Writes a transaction to every partition of `topics` and aborts it, as a producer that failed
 * mid-chunk leaves behind. Over 2.5 MB per partition, more than a consumer fetches at once, so a
 * reader at the old end receives fetches that hold nothing but aborted records (kafkajs then
 * calls no eachBatch at all), and the partition ends in them.
 */
export async function abortBigTransaction(
  kafka: Kafka,
  topics: readonly string[],
  partitions: number,
): Promise<void> {
  const producer = kafka.producer({
    transactionalId: `aborted-tail-${crypto.randomUUID()}`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    const transaction = await producer.transaction();
    // One record of 900 KB per partition per send: each record batch stays under 1 MB.
    const value = "x".repeat(900_000);
    for (let round = 0; round < 3; round++) {
      for (const topic of topics) {
        await transaction.send({
          topic,
          acks: -1,
          messages: Array.from({ length: partitions }, (_, partition) => ({
            partition,
            key: "never-committed",
            value,
          })),
        });
      }
    }
    await transaction.abort();
  } finally {
    await producer.disconnect();
  }
}
