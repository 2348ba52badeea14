/** Waiting for a service's `GET /ready` (or `/health`) to answer 200. */

/** Options for {@linkcode waitForOk}. */
export interface OkWaitOptions {
  timeoutMs: number;
  /** Rejects the wait early, e.g. when the process exits or the user presses Ctrl-C. */
  signal?: AbortSignal;
}

/** Polls `url` until it answers 200; rejects with the last thing seen when the deadline passes. */
export async function waitForOk(url: string, options: OkWaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastSeen = "no answer yet";
  while (Date.now() < deadline) {
    options.signal?.throwIfAborted();
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.status === 200) return;
      lastSeen = `status ${response.status}`;
    } catch (error) {
      lastSeen = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer 200 within ${options.timeoutMs} ms (last: ${lastSeen})`);
}
