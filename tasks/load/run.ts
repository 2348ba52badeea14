/** Sends a fixed number of HTTP requests at a fixed concurrency and records each latency. */
import { Http1Connection } from "./http1.ts";

/** Options of {@linkcode runLoad}. */
export interface LoadOptions {
  total: number;
  concurrency: number;
  hostname: string;
  port: number;
  /** The bytes of the `index`-th request. */
  plan: (index: number) => Uint8Array;
  /** The status that counts as success. */
  expectStatus: number;
  onProgress?: (done: number) => void;
}

/** What a run measured. */
export interface LoadResult {
  latenciesMs: Float64Array;
  ok: number;
  seconds: number;
  statuses: Map<number, number>;
}

/** Runs `total` requests from `concurrency` loops, each on its own keep-alive connection. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latenciesMs = new Float64Array(options.total);
  const statuses = new Map<number, number>();
  let next = 0;
  let done = 0;
  let ok = 0;
  const started = performance.now();
  const loop = async () => {
    let connection: Http1Connection | undefined;
    for (let index = next++; index < options.total; index = next++) {
      const request = options.plan(index);
      const sentAt = performance.now();
      let status = 0; // a connection error
      try {
        connection ??= await Http1Connection.open(options.hostname, options.port);
        status = await connection.send(request);
      } catch {
        connection?.close();
        connection = undefined;
      }
      latenciesMs[index] = performance.now() - sentAt;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status === options.expectStatus) ok++;
      options.onProgress?.(++done);
    }
    connection?.close();
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  return { latenciesMs, ok, seconds: (performance.now() - started) / 1000, statuses };
}
