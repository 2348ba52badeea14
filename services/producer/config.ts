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
};
