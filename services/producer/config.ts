/** The producer service's environment. */
import { z } from "zod";
import { commonEnv, port } from "@campus/shared/config";
import { PRODUCER } from "@campus/shared/services";

const positiveInt = (what: string, max: number) =>
  z.coerce.number({ error: `must be ${what}` }).int({ error: `must be ${what}` })
    .min(1, { error: `must be ${what}` }).max(max, { error: `must be at most ${max}` });

/** Keys read by the producer service, with defaults. */
export const producerEnv = {
  ...commonEnv,
  [PRODUCER.portVariable]: port(PRODUCER.defaultPort),
  /** Longest wait for Kafka's acknowledgement before answering 503. */
  PRODUCE_TIMEOUT_MS: positiveInt("a number of milliseconds", 120_000).default(5_000),
  /**
   * How long an order waits for others to share a produce request when none is in flight.
   * 0 by default: orders arriving while a request is in flight are coalesced anyway, and measured
   * on this machine a 1 ms linger (a timer that fires after about 1.5 ms) tripled sequential latency
   * and added no throughput.
   */
  LINGER_MS: z.coerce.number({ error: "must be a number of milliseconds" }).min(0).max(100).default(
    0,
  ),
  /** Most orders in one produce request. */
  MAX_BATCH_MESSAGES: positiveInt("a whole number of messages", 10_000).default(1_000),
  /** Most orders waiting for Kafka; beyond it requests get 503 at once (bounded memory). */
  MAX_PENDING_MESSAGES: positiveInt("a whole number of messages", 1_000_000).default(20_000),
  /**
   * `on`: orders Kafka cannot acknowledge in time are stored on local disk, answered 202
   * "queued" and relayed once Kafka is back. `off`: 503 while Kafka cannot acknowledge (strict).
   */
  ORDER_OUTBOX: z.enum(["on", "off"], { error: "must be on or off" }).default("on"),
  /** Folder of the outbox; each producer keeps `producer-<PRODUCER_PORT>.sqlite` in it. */
  ORDER_OUTBOX_DIR: z.string().min(1).default(".data/outbox"),
  /**
   * Most bytes (keys and values of the orders) the outbox holds; past it orders get 503. The
   * default, 512 MiB, is about 2,000,000 orders: over 2 minutes at the 15,000 orders/s the producer
   * takes at most on our machine, hours at a campus's rate.
   */
  ORDER_OUTBOX_MAX_BYTES: positiveInt("a number of bytes", 64 * 2 ** 30).default(512 * 2 ** 20),
};

/** The outbox file of the producer on `port`. */
export function outboxPath(config: { ORDER_OUTBOX_DIR: string; PRODUCER_PORT: number }): string {
  return `${config.ORDER_OUTBOX_DIR.replace(/\/+$/, "")}/producer-${config.PRODUCER_PORT}.sqlite`;
}
