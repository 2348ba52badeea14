/**
 * Waiting, written once (JSR's @std/async is out of reach): a sleep that an AbortSignal cuts
 * short, and a deadline on a promise.
 * @module
 */

/** Resolves after `ms`, or at once when `signal` aborts (it never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

/**
 * `promise`, or a rejection with `error()` if it has not settled within `ms`. The timer is
 * cleared either way, so it never keeps a process alive.
 *
 * @example
 * ```ts
 * await deadline(connect(), 5_000, () => new Error("Kafka did not answer within 5 s"));
 * ```
 */
export async function deadline<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => timer = setTimeout(() => reject(error()), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
