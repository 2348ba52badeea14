/** Waiting for a service's `GET /ready` (or `/health`) to answer 200. */
import { poll } from "@campus/shared/timing";

/** Options for {@linkcode waitForOk}. */
export interface OkWaitOptions {
  timeoutMs: number;
  /** Rejects the wait early, e.g. when the process exits or the user presses Ctrl-C. */
  signal?: AbortSignal;
}

/** Polls `url` until it answers 200; rejects with the last thing seen when the deadline passes. */
export async function waitForOk(url: string, options: OkWaitOptions): Promise<void> {
  let lastStatus: number | undefined;
  await poll(`${url} to answer 200`, async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    lastStatus = response.status;
    return response.status === 200 || undefined;
  }, {
    ...options,
    lastSeen: () => lastStatus === undefined ? "no answer" : `status ${lastStatus}`,
  });
}
