/**
 * The decisions of one chunk before it commits: each message is decided against the partition's
 * committed state plus what the chunk itself decided so far. Pure, so the live path and the
 * tests that compare it with a restore use the very same steps.
 * @module
 */
import { type ConsumedMessage, type DecideContext, decideMessage } from "./decide.ts";
import type { CommittedChunk, PartitionState } from "./partition_state.ts";
import type { ChunkEntry } from "./records.ts";
import type { Stock } from "./stock.ts";
import { idKey } from "@campus/shared/id_window";

/** One chunk being decided. */
export class PendingChunk {
  /** Every message decided, with its outcome, in order. */
  readonly entries: ChunkEntry[] = [];
  /** Remaining units of each item this chunk reserved. */
  readonly stockChanges = new Map<string, number>();
  /** Order ids decided in this chunk, as idKey() spells them (the committed ones' equality). */
  #decidedNow = new Set<string>();
  #stock: Stock;
  #lastOffset = "";

  constructor(
    readonly state: PartitionState,
    readonly context: Omit<DecideContext, "stock" | "isDecided">,
  ) {
    this.#stock = state.stock;
  }

  /** The offset of the last message decided ("" before the first). */
  get lastOffset(): string {
    return this.#lastOffset;
  }

  /** Decides `message` on top of what this chunk decided already. */
  decide(message: ConsumedMessage): void {
    const decided = decideMessage(message, {
      ...this.context,
      stock: this.#stock,
      isDecided: (orderId) =>
        this.#decidedNow.has(idKey(orderId)) || this.state.decided.has(orderId),
    });
    if (decided.outcome.kind === "decided") {
      const { event } = decided.outcome;
      this.#decidedNow.add(idKey(event.order_id));
      if (event.event_type === "InventoryReserved") {
        this.stockChanges.set(event.item, event.remaining);
      }
    }
    this.#stock = decided.stock;
    this.entries.push({ message, outcome: decided.outcome });
    this.#lastOffset = message.offset;
  }

  /** What the chunk changes once its transaction committed at `committedAtMs`. */
  committed(committedAtMs: number): CommittedChunk {
    return {
      stockChanges: this.stockChanges,
      decidedIds: this.entries.flatMap(({ outcome }) =>
        outcome.kind === "decided" ? [outcome.event.order_id] : []
      ),
      committedAtMs,
    };
  }
}
