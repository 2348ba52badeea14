/**
 * Configuration from the environment: read once, by explicit key, validated by zod.
 *
 * Services read only the keys their schema names, so a scoped `--allow-env=` list is enough.
 * @module
 */
import { z } from "zod";
import { DEFAULT_EVENT_PARTITIONS } from "./topics.ts";

/** A configuration problem, with a message that names the variable and what it should be. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** A TCP port with a default. */
export function port(defaultPort: number): z.ZodDefault<z.ZodCoercedNumber> {
  return z.coerce.number({ error: "must be a port number (1-65535)" })
    .int({ error: "must be a port number (1-65535)" })
    .min(1, { error: "must be a port number (1-65535)" })
    .max(65535, { error: "must be a port number (1-65535)" })
    .default(defaultPort);
}

const hostPort = /^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$/;

/** Comma-separated `host:port` list, as Kafka clients take it. */
export const brokerList: z.ZodType<string[], string> = z.string()
  .transform((value) => value.split(",").map((entry) => entry.trim()).filter(Boolean))
  .refine((brokers) => brokers.length > 0 && brokers.every((broker) => hostPort.test(broker)), {
    error: 'must be a comma-separated list of host:port, e.g. "127.0.0.1:9092"',
  });

/** Log threshold. */
export const logLevel = z.enum(["debug", "info", "warn", "error"], {
  error: 'must be one of "debug", "info", "warn", "error"',
}).default("info");

/**
 * Partitions of the keyed event topics (shared/topics.ts): `up` and `deno task topics` create them
 * with it, and every service checks the topics it uses have exactly that many.
 */
export const eventPartitions = z.coerce.number({ error: "must be a whole number from 1 to 1000" })
  .int({ error: "must be a whole number from 1 to 1000" })
  .min(1, { error: "must be a whole number from 1 to 1000" })
  .max(1000, { error: "must be a whole number from 1 to 1000" })
  .default(DEFAULT_EVENT_PARTITIONS);

/** Keys every service reads. */
/**
 * A secret that lets admin routes (throttle, replay) answer callers that are not on loopback when
 * they present it as `Authorization: Bearer <token>`; unset, they answer loopback callers only.
 * Needed in containers, where requests through a published port never come from loopback.
 */
export const adminToken = z.string().optional();

export const commonEnv = {
  EVENT_PARTITIONS: eventPartitions,
  KAFKA_BOOTSTRAP_SERVERS: z.string().default("127.0.0.1:9092").pipe(brokerList),
  HOST: z.string().min(1, { error: "must be a host name or address" }).default("127.0.0.1"),
  LOG_LEVEL: logLevel,
};

/**
 * Validates `env` against `shape`, one key per variable.
 *
 * @example
 * ```ts
 * const config = parseConfig({ PRODUCER_PORT: port(5001) }, { PRODUCER_PORT: "5001" });
 * ```
 */
export function parseConfig<Shape extends z.ZodRawShape>(
  shape: Shape,
  env: Readonly<Record<string, string | undefined>>,
): z.infer<z.ZodObject<Shape>> {
  const values: Record<string, string | undefined> = {};
  for (const key of Object.keys(shape)) {
    // Treat an empty variable as unset, as shells and compose files commonly produce them.
    const value = env[key];
    values[key] = value === "" ? undefined : value;
  }
  const result = z.object(shape).safeParse(values);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? "");
    const shown = values[key] === undefined ? "is not set" : `is "${values[key]}"`;
    return `${key} ${shown}: ${issue.message}`;
  });
  throw new ConfigError(`Invalid environment: ${problems.join("; ")}`);
}

/**
 * Reads the keys of `shape` from `Deno.env`. Throws {@linkcode ConfigError}, whose message names
 * each bad variable; an entry point reports it and exits 1 (library code never exits).
 */
export function loadConfig<Shape extends z.ZodRawShape>(shape: Shape): z.infer<z.ZodObject<Shape>> {
  const env: Record<string, string | undefined> = {};
  for (const key of Object.keys(shape)) env[key] = Deno.env.get(key);
  return parseConfig(shape, env);
}
