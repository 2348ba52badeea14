/**
 * The campaign's history: one record per HTTP request with its outcome and times, in the order
 * answers came, written to a JSON-lines file as the run goes so a crashed run still leaves it.
 * @module
 */

/** How a request ended, from the client's side. */
export type Outcome =
  /** 2xx: the producer says Kafka acknowledged the order. */
  | "accepted"
  /** 4xx: the request was refused as invalid; nothing may be published. */
  | "rejected"
  /** 503: not acknowledged; `may_have_been_written` says whether it might exist anyway. */
  | "unavailable"
  /** The connection was refused: the request never reached a producer, so nothing exists. */
  | "refused"
  /** No answer (timeout, connection broken): the order may or may not exist. */
  | "no_answer"
  /** Another 5xx: a defect (the producer answers 503 whenever it cannot tell); may exist. */
  | "server_error"
  /** Never sent: the client had too many requests in flight (a bounded client, not a fault). */
  | "not_sent";

/** One request and its outcome. Times are epoch milliseconds. */
export interface Operation {
  /** Position in the run, from 0. */
  op: number;
  /** The logical order it is for: a retry has the order number of the first attempt. */
  order: number;
  attempt: number;
  /** The Idempotency-Key sent (a retry sends the same). */
  key: string;
  /** The body as sent; a deliberately invalid one has `valid: false`. */
  body: Record<string, unknown>;
  valid: boolean;
  /** When the open-loop schedule meant it to be sent: latency counts from here. */
  intendedAt: number;
  sentAt: number;
  doneAt: number;
  outcome: Outcome;
  status?: number;
  orderId?: string;
  mayHaveBeenWritten?: boolean;
  reason?: string;
  error?: string;
}

/** Whether an order with this outcome could exist on the topics. */
export function mayExist(operation: Operation): boolean {
  switch (operation.outcome) {
    case "accepted":
    case "no_answer":
    case "server_error":
      return true;
    case "unavailable":
      return operation.mayHaveBeenWritten !== false;
    case "rejected":
    case "refused":
    case "not_sent":
      return false;
  }
}

/** Appends operations to a JSON-lines file, flushing in batches. */
export class HistoryFile {
  #file: Deno.FsFile;
  #pending: string[] = [];
  #encoder = new TextEncoder();
  #writing: Promise<void> = Promise.resolve();

  private constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  /** Creates (or empties) `path`. */
  static async create(path: string): Promise<HistoryFile> {
    return new HistoryFile(
      await Deno.open(path, { write: true, create: true, truncate: true }),
    );
  }

  /** Queues one operation; {@linkcode flush} writes it. */
  add(operation: Operation): void {
    this.#pending.push(JSON.stringify(operation));
  }

  /** Writes what is queued, after any write already under way, so lines never interleave. */
  flush(): Promise<void> {
    const write = () => this.#write();
    this.#writing = this.#writing.then(write, write);
    return this.#writing;
  }

  async #write(): Promise<void> {
    if (this.#pending.length === 0) return;
    const bytes = this.#encoder.encode(this.#pending.join("\n") + "\n");
    this.#pending = [];
    let written = 0;
    while (written < bytes.length) written += await this.#file.write(bytes.subarray(written));
  }

  async close(): Promise<void> {
    await this.flush();
    this.#file.close();
  }
}
