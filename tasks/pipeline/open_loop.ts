/**
 * Open-loop load: order `i` is due at `start + i / rate`, whatever happened to the orders before
 * it, and its latency is counted from that due time, so a slow answer delays the measurement of
 * the orders behind it instead of hiding them (no coordinated omission). Requests go out on a pool
 * of keep-alive connections (the cheap client of `tasks/load/`); with all of them busy, due orders
 * wait, and that wait is part of their latency.
 * @module
 */
import { Http1Connection } from "../load/http1.ts";

/** Options of {@linkcode runOpenLoop}. */
export interface OpenLoopOptions {
  rate: number;
  seconds: number;
  hostname: string;
  port: number;
  connections: number;
  /** The request bytes of order `index`. */
  plan: (index: number) => Uint8Array;
  /** performance.now() by default. */
  now?: () => number;
}

/** What an open-loop run measured, per order, in ms of `now()`. */
export interface OpenLoopResult {
  /** When each order was due. */
  dueAt: Float64Array;
  /** When its answer arrived (NaN: no answer). */
  answeredAt: Float64Array;
  /** Status of each answer (0: a connection error). */
  status: Uint16Array;
  /** When the last answer arrived. */
  endedAt: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sends `rate * seconds` orders at their due times; resolves once every one is answered. */
export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const now = options.now ?? (() => performance.now());
  const total = Math.round(options.rate * options.seconds);
  const dueAt = new Float64Array(total);
  const answeredAt = new Float64Array(total).fill(Number.NaN);
  const status = new Uint16Array(total);
  const start = now() + 50;
  const interval = 1000 / options.rate;
  for (let index = 0; index < total; index++) dueAt[index] = start + index * interval;
  let next = 0;
  const worker = async () => {
    let connection: Http1Connection | undefined;
    for (let index = next++; index < total; index = next++) {
      const wait = dueAt[index]! - now();
      if (wait > 1) await sleep(wait);
      const request = options.plan(index);
      try {
        connection ??= await Http1Connection.open(options.hostname, options.port);
        status[index] = await connection.send(request);
        answeredAt[index] = now();
      } catch {
        connection?.close();
        connection = undefined;
      }
    }
    connection?.close();
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  return { dueAt, answeredAt, status, endedAt: now() };
}
