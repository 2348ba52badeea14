/**
 * The open-loop load: orders are sent at fixed intended times whatever the answers, as real
 * clients arrive, so a stalled system meets a growing crowd (closed-loop clients would politely
 * wait and hide the stall). Latency counts from the intended time. A client that gets no definite
 * answer retries once with the same Idempotency-Key, as a careful client does.
 * @module
 */
import { sleep } from "@campus/shared/timing";
import type { Operation, Outcome } from "./history.ts";
import type { SeededRandom } from "./random.ts";

/** Options of {@linkcode OpenLoopLoad}. */
export interface LoadOptions {
  /** The producer, e.g. http://127.0.0.1:15701. */
  url: string;
  /** New orders per second. */
  rate: number;
  random: SeededRandom;
  /** Items the inventory sells. */
  items: readonly string[];
  /** Makes user ids and keys of this run unique, e.g. "chaos-42". */
  tag: string;
  /** Called once per finished request, in the order they finish. */
  onOperation: (operation: Operation) => void;
  requestTimeoutMs?: number;
  /** Requests in flight beyond which a new one is recorded `not_sent` instead of being sent. */
  maxInFlight?: number;
  /** Wait before the one retry of a request without a definite answer. */
  retryAfterMs?: number;
}

/** Items no menu has: their orders fail with unknown_item. */
const UNKNOWN_ITEMS = ["lobster", "caviar"];

/** Request bodies every producer must refuse, each naming its problem. */
const INVALID_BODIES: ((userId: string) => Record<string, unknown>)[] = [
  (user_id) => ({ user_id, item: "pizza", quantity: 0 }),
  (user_id) => ({ user_id, item: "", quantity: 1 }),
  (user_id) => ({ user_id, item: "pizza", quantity: 1.5 }),
  (user_id) => ({ user_id, item: "pizza", quantity: 1, coupon: "FREE" }),
];

interface Request {
  order: number;
  attempt: number;
  key: string;
  body: Record<string, unknown>;
  valid: boolean;
}

/** Sends orders at a fixed rate until stopped. */
export class OpenLoopLoad {
  #options: Required<LoadOptions>;
  #stopped = false;
  #inFlight = 0;
  #pending = new Set<Promise<void>>();
  #op = 0;
  #loop: Promise<void> | undefined;
  /**
   * Every request on a connection of its own. A pooled connection found dead is retried by the
   * HTTP client on a new one, so a request that reached a producer killed mid-request could come
   * back as "connection refused" (seed 7 at 400/s: such an order was decided, and the checker
   * called it a phantom). Without reuse, a refused connection means the request never left.
   */
  #client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });

  constructor(options: LoadOptions) {
    this.#options = {
      requestTimeoutMs: 8_000,
      maxInFlight: 10_000,
      retryAfterMs: 1_000,
      ...options,
    };
  }

  /** Orders sent so far (first attempts). */
  orders = 0;

  /** Starts sending; the first order is meant for now. */
  start(): void {
    this.#loop = this.#run(Date.now());
  }

  /** Stops sending new orders; resolves once every request and retry has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
    while (this.#pending.size > 0) await Promise.all(this.#pending);
    this.#client.close();
  }

  async #run(startAt: number): Promise<void> {
    const interval = 1000 / this.#options.rate;
    while (!this.#stopped) {
      const now = Date.now();
      while (startAt + this.orders * interval <= now) {
        this.#track(this.#send(this.#newOrder(this.orders), startAt + this.orders * interval));
        this.orders++;
      }
      await sleep(Math.max(1, startAt + this.orders * interval - Date.now()));
    }
  }

  #newOrder(order: number): Request {
    const { random, items, tag } = this.#options;
    const userId = `${tag}-u${order}`;
    const key = `${tag}-k${order}`;
    const roll = random.next();
    if (roll < 0.02) {
      return { order, attempt: 1, key, body: random.pick(INVALID_BODIES)(userId), valid: false };
    }
    const item = roll < 0.06 ? random.pick(UNKNOWN_ITEMS) : random.pick(items);
    return {
      order,
      attempt: 1,
      key,
      body: { user_id: userId, item, quantity: random.int(1, 3) },
      valid: true,
    };
  }

  #track(work: Promise<void>): void {
    this.#pending.add(work);
    work.finally(() => this.#pending.delete(work));
  }

  async #send(request: Request, intendedAt: number): Promise<void> {
    const base = {
      op: this.#op++,
      order: request.order,
      attempt: request.attempt,
      key: request.key,
      body: request.body,
      valid: request.valid,
      intendedAt,
    };
    if (this.#inFlight >= this.#options.maxInFlight) {
      const now = Date.now();
      this.#options.onOperation({ ...base, sentAt: now, doneAt: now, outcome: "not_sent" });
      return;
    }
    this.#inFlight++;
    const sentAt = Date.now();
    let operation: Operation;
    try {
      const response = await fetch(`${this.#options.url}/order`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": request.key },
        body: JSON.stringify(request.body),
        signal: AbortSignal.timeout(this.#options.requestTimeoutMs),
        client: this.#client,
      });
      const answer = await response.json().catch(() => ({})) as Record<string, unknown>;
      operation = {
        ...base,
        sentAt,
        doneAt: Date.now(),
        status: response.status,
        outcome: outcomeOf(response.status),
        ...(typeof answer.order_id === "string" ? { orderId: answer.order_id } : {}),
        ...(typeof answer.may_have_been_written === "boolean"
          ? { mayHaveBeenWritten: answer.may_have_been_written }
          : {}),
        ...(typeof answer.reason === "string" ? { reason: answer.reason } : {}),
        ...(response.status >= 400 && typeof answer.error === "string"
          ? { error: answer.error }
          : {}),
      };
    } catch (error) {
      const message = describeError(error);
      operation = {
        ...base,
        sentAt,
        doneAt: Date.now(),
        outcome: outcomeOfError(message),
        error: message,
      };
    } finally {
      this.#inFlight--;
    }
    this.#options.onOperation(operation);
    if (request.attempt === 1 && needsRetry(operation.outcome)) {
      const retryAt = operation.doneAt + this.#options.retryAfterMs;
      await sleep(this.#options.retryAfterMs);
      await this.#send({ ...request, attempt: 2 }, retryAt);
    }
  }
}

function outcomeOf(status: number): Outcome {
  if (status >= 200 && status < 300) return "accepted";
  if (status === 503) return "unavailable";
  if (status >= 400 && status < 500) return "rejected";
  return "server_error";
}

/**
 * A refused connection reached no producer: nothing was written. Running out of file descriptors
 * or local ports is this client's own failure: the request never left. Anything else (a timeout,
 * a connection reset mid-request) may or may not have written the order.
 */
function outcomeOfError(message: string): Outcome {
  if (/os error 111\b|connection refused/i.test(message)) return "refused";
  if (/os error (24|99)\b/.test(message)) return "not_sent";
  return "no_answer";
}

function needsRetry(outcome: Outcome): boolean {
  return outcome === "unavailable" || outcome === "refused" || outcome === "no_answer";
}

/** The error and its causes in one line: Deno's fetch says "fetch failed" and puts why in `cause`. */
function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let current = error; current !== undefined && parts.length < 4;) {
    parts.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(": ");
}
