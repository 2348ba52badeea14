/** The environment `deno task up` reads. The services read their own keys themselves. */
import { z } from "zod";
import { brokerList, eventPartitions, port } from "@campus/shared/config";
import { parseArgs } from "node:util";
import { ANALYTICS, INVENTORY, PRODUCER, SERVICES } from "@campus/shared/services";

/** Keys read by the supervisor, with defaults. */
export const upEnv = {
  /** Set to use a running cluster instead of starting the embedded broker. */
  KAFKA_BOOTSTRAP_SERVERS: brokerList.optional(),
  KAFKA_PORT: port(9092),
  KAFKA_CONTROLLER_PORT: port(9093),
  KAFKA_DATA_DIR: z.string().default(".data/kafka"),
  KAFKA_CACHE_DIR: z.string().default(".cache/kafka"),
  KAFKA_HEAP: z.string().regex(/^\d+[mg]$/, {
    error: 'must be a JVM heap size like "768m" or "1g"',
  })
    .default("768m"),
  JAVA_HOME: z.string().optional(),
  HOST: z.string().default("127.0.0.1"),
  /** Partitions of the event topics; passed on to every service through the environment. */
  EVENT_PARTITIONS: eventPartitions,
  [PRODUCER.portVariable]: port(PRODUCER.defaultPort),
  [INVENTORY.portVariable]: port(INVENTORY.defaultPort),
  [ANALYTICS.portVariable]: port(ANALYTICS.defaultPort),
  /** Which services to start, e.g. "producer" to measure the producer alone. */
  UP_SERVICES: z.string().default("producer,inventory,analytics")
    .transform((value) => value.split(",").map((name) => name.trim()).filter(Boolean))
    .refine(
      (names) =>
        names.length > 0 &&
        names.every((name) => ["producer", "inventory", "analytics"].includes(name)),
      { error: 'must list some of "producer", "inventory", "analytics", comma-separated' },
    ),
};

/** The validated supervisor configuration. */
export type UpConfig = z.infer<z.ZodObject<typeof upEnv>>;

/** What the command line asks of `up`: the cluster's size and the instances of each service. */
export interface UpArgs {
  brokers: number;
  scale: Record<ServiceName, number>;
}

type ServiceName = (typeof SERVICES)[number]["name"];

/** A wrong command line, with a message that says what is wrong and what would be right. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Most nodes `--brokers` starts: each is a JVM of KAFKA_HEAP on this one machine. */
export const MAX_BROKERS = 5;
/** Most instances of one service: ports go up in tens from the service's own. */
export const MAX_INSTANCES = 9;

export const UP_USAGE = `Usage: deno task up [--brokers N] [--scale SERVICE=N,...]
  --brokers N      start a local KRaft cluster of N nodes (1, or 3-${MAX_BROKERS}; default 1). From 3 on,
                   topics get 3 replicas and need 2 in sync (min.insync.replicas=2).
  --scale S=N,...  run N instances (1-${MAX_INSTANCES}) of a service in its group, e.g.
                   --scale inventory=3,analytics=2; instance i listens on the service's port + 10(i-1).`;

/** Parses `up`'s command line. */
export function parseUpArgs(args: readonly string[]): UpArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        brokers: { type: "string" },
        scale: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : error}\n${UP_USAGE}`);
  }
  if (parsed.values.help) throw new UsageError(UP_USAGE);
  const brokers = count(parsed.values.brokers ?? "1", MAX_BROKERS, "--brokers");
  if (brokers === 2) {
    // Two KRaft controllers need both for a majority: losing either stops the cluster.
    throw new UsageError(
      "--brokers 2 would make a cluster that stops when either node dies (its two controllers " +
        "need each other for a majority); use 1, or 3 or more",
    );
  }
  const scale = Object.fromEntries(SERVICES.map((service) => [service.name, 1])) as Record<
    ServiceName,
    number
  >;
  for (const list of parsed.values.scale ?? []) {
    for (const entry of list.split(",").map((part) => part.trim()).filter(Boolean)) {
      const match = /^([a-z]+)=(.*)$/.exec(entry);
      const name = match?.[1] as ServiceName | undefined;
      if (!match || !name || !SERVICES.some((service) => service.name === name)) {
        throw new UsageError(
          `--scale takes SERVICE=N with SERVICE one of ${
            SERVICES.map((service) => service.name).join(", ")
          }; got "${entry}"`,
        );
      }
      scale[name] = count(match[2]!, MAX_INSTANCES, `--scale ${name}`);
    }
  }
  return { brokers, scale };
}

function count(text: string, max: number, what: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > max) {
    throw new UsageError(`${what} must be a whole number from 1 to ${max}; got "${text}"`);
  }
  return value;
}

/** One process of a service that `up` starts. */
export interface Instance {
  service: (typeof SERVICES)[number];
  /** The service's name, numbered when it runs more than once: "inventory-2". */
  name: string;
  port: number;
}

/** The instances of the selected services, in start order, each with its port. */
export function planInstances(
  config: UpConfig,
  scale: Record<ServiceName, number>,
): Instance[] {
  return SERVICES.filter((service) => config.UP_SERVICES.includes(service.name)).flatMap(
    (service) =>
      Array.from({ length: scale[service.name] }, (_, index) => ({
        service,
        name: scale[service.name] > 1 ? `${service.name}-${index + 1}` : service.name,
        port: config[service.portVariable] + 10 * index,
      })),
  );
}
