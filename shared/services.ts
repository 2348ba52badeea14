/**
 * The three services, written down once: name, HTTP port variable and default port, Kafka client
 * id, consumer group. The services' configs, `up`, the tests and the compose test all read this.
 * @module
 */
import { ANALYTICS_GROUP, INVENTORY_GROUP } from "./topics.ts";

/** One service of the system. */
export interface ServiceEntry {
  /** Also the name of its `deno task` and of its compose service. */
  readonly name: "producer" | "inventory" | "analytics";
  /** The variable that sets its HTTP port. */
  readonly portVariable: "PRODUCER_PORT" | "INVENTORY_PORT" | "ANALYTICS_PORT";
  readonly defaultPort: number;
  /** Its Kafka client id. */
  readonly clientId: string;
  /** Its consumer group, for the consumers. */
  readonly group?: string;
}

/** The Producer Order service. */
export const PRODUCER = {
  name: "producer",
  portVariable: "PRODUCER_PORT",
  defaultPort: 5001,
  clientId: "producer-service",
} as const satisfies ServiceEntry;

/** The inventory consumer. */
export const INVENTORY = {
  name: "inventory",
  portVariable: "INVENTORY_PORT",
  defaultPort: 5002,
  clientId: "inventory-service",
  group: INVENTORY_GROUP,
} as const satisfies ServiceEntry;

/** The analytics consumer. */
export const ANALYTICS = {
  name: "analytics",
  portVariable: "ANALYTICS_PORT",
  defaultPort: 5003,
  clientId: "analytics-service",
  group: ANALYTICS_GROUP,
} as const satisfies ServiceEntry;

/** Every service, in start order (`up` stops them in reverse). */
export const SERVICES = [PRODUCER, INVENTORY, ANALYTICS] as const;

/** The URL of a service on the local machine at its default port. */
export function defaultUrl(service: ServiceEntry): string {
  return `http://127.0.0.1:${service.defaultPort}`;
}
