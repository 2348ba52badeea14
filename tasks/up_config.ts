/** The environment `deno task up` reads. The services read their own keys themselves. */
import { z } from "zod";
import { brokerList, eventPartitions, port } from "@campus/shared/config";
import { ANALYTICS, INVENTORY, PRODUCER } from "@campus/shared/services";

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
