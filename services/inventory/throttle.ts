/**
 * The processing delay (PROCESSING_DELAY, POST /admin/throttle), spent in short slices.
 *
 * One long sleep per message broke the consumer: a delay beyond the session timeout (10 s) got
 * the member thrown out of its group before it could decide anything, again and again; a new
 * delay waited for the old one to end; and a shutdown could wait up to an hour. In slices, the
 * member heartbeats between them, reads the current delay each time, and stops when asked.
 * @module
 */
import { sleep } from "@campus/shared/timing";

/** Longest slice: a new delay value and a stop request take effect within this. */
export const THROTTLE_SLICE_MS = 200;

/** What a throttled wait needs from the consumer. */
export interface ThrottleContext {
  /** The delay per message now, in seconds; read again after every slice. */
  delaySeconds: () => number;
  /** Keeps the group membership alive (kafkajs sends one only when it is due). */
  heartbeat: () => Promise<void>;
  /** True when the wait should end early: shutdown, rebalance, lost partition. */
  shouldStop: () => boolean;
  sliceMs?: number;
}

/**
 * Waits the current per-message delay, measured from the start of the wait; resolves true when it
 * is over, false when `shouldStop` ended it first.
 */
export async function waitProcessingDelay(context: ThrottleContext): Promise<boolean> {
  const started = performance.now();
  const sliceMs = context.sliceMs ?? THROTTLE_SLICE_MS;
  while (true) {
    if (context.shouldStop()) return false;
    const remainingMs = context.delaySeconds() * 1000 - (performance.now() - started);
    if (remainingMs <= 0) return true;
    await sleep(Math.min(remainingMs, sliceMs));
    await context.heartbeat();
  }
}
