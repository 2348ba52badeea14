/**
 * What the integration tests share: where the stack is, and waiting on a condition with a deadline.
 *
 * Every setting falls back to the default local stack, so plain `deno test --allow-net` works
 * against `deno task up`; with env access, PRODUCER_URL and friends point elsewhere.
 * @module
 */
import type { Admin, Kafka } from "kafkajs";

/** Whether a permission is granted without prompting. */
export function granted(descriptor: Deno.PermissionDescriptor): boolean {
  return Deno.permissions.querySync(descriptor).state === "granted";
}

/** An environment variable when env access is granted for it, else `fallback`. */
export function setting(name: string, fallback: string): string {
  return granted({ name: "env", variable: name }) ? Deno.env.get(name) || fallback : fallback;
}

/** Where the stack under test is. */
export const stack = {
  producerUrl: setting("PRODUCER_URL", "http://127.0.0.1:5001"),
  inventoryUrl: setting("INVENTORY_URL", "http://127.0.0.1:5002"),
  analyticsUrl: setting("ANALYTICS_URL", "http://127.0.0.1:5003"),
  brokers: setting("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092").split(","),
};

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
 * Polls `probe` until it returns something other than `undefined`, or fails after `timeoutMs`
 * with `what` and the last value seen: integration tests wait on conditions, never on sleeps.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs?: number; intervalMs?: number; lastSeen?: () => unknown } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
  const seen = options.lastSeen ? ` Last seen: ${JSON.stringify(options.lastSeen())}.` : "";
  throw new Error(
    `Timed out waiting for ${what}.${seen}${lastError ? ` Last error: ${lastError}` : ""}`,
  );
}
