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

/** Options of {@linkcode poll}. */
export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Ends the wait early (the poll then rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Errors that end the wait at once instead of being retried. */
  isFatal?: (error: unknown) => boolean;
  /** Said in the timeout's message: what was last seen. */
  lastSeen?: () => unknown;
}

/**
 * Calls `probe` until it returns something other than `undefined`, and resolves with that; a
 * probe that throws is retried (a service still starting) unless `isFatal` says otherwise. After
 * `timeoutMs` it rejects naming `what`, the last value seen and the last error.
 *
 * @example
 * ```ts
 * await poll("the broker to answer", () => isUp() || undefined, { timeoutMs: 30_000 });
 * ```
 */
export async function poll<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: PollOptions,
): Promise<T> {
  const deadlineAt = Date.now() + options.timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadlineAt) {
    options.signal?.throwIfAborted();
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      if (options.isFatal?.(error)) throw error;
      lastError = error;
    }
    await sleep(options.intervalMs ?? 100, options.signal);
  }
  options.signal?.throwIfAborted();
  const seen = options.lastSeen ? ` Last seen: ${JSON.stringify(options.lastSeen())}.` : "";
  const failed = lastError === undefined
    ? ""
    : ` Last error: ${lastError instanceof Error ? lastError.message : lastError}`;
  throw new Error(`Timed out after ${options.timeoutMs} ms waiting for ${what}.${seen}${failed}`);
}
