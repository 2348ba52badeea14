/**
 * When each order of a run was decided and counted. Decided: its decision arrived, committed
 * (read_committed), on inventory-events. Counted: the analytics group committed an offset past
 * that decision (analytics commits only what it has counted). Orders are named by their user id,
 * `<prefix>-<step>-<index>`, which the decision carries.
 * @module
 */
import type { Admin, Consumer, Kafka } from "kafkajs";
import { ANALYTICS_GROUP, INVENTORY_EVENTS } from "@campus/shared/topics";

/** Per step, when each order was decided and counted (ms of `now()`, NaN until then). */
export interface StepTimes {
  decidedAt: Float64Array;
  countedAt: Float64Array;
  decided: number;
  counted: number;
}

interface Waiting {
  offset: bigint;
  step: number;
  index: number;
}

/** Follows inventory-events and the analytics group's offsets for the orders of `prefix`. */
export class PipelineTracker {
  readonly steps = new Map<number, StepTimes>();
  #consumer: Consumer;
  #admin: Admin;
  #waiting = new Map<number, Waiting[]>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #polling = false;
  readonly #marker: string;

  constructor(
    kafka: Kafka,
    readonly prefix: string,
    readonly now: () => number = () => performance.now(),
  ) {
    this.#marker = `"user_id":"${prefix}-`;
    this.#consumer = kafka.consumer({
      groupId: `pipeline-bench-${crypto.randomUUID()}`,
      readUncommitted: false,
      maxWaitTimeInMs: 20,
    });
    this.#admin = kafka.admin();
  }

  /** Makes room for a step of `total` orders. */
  expect(step: number, total: number): StepTimes {
    const times = {
      decidedAt: new Float64Array(total).fill(Number.NaN),
      countedAt: new Float64Array(total).fill(Number.NaN),
      decided: 0,
      counted: 0,
    };
    this.steps.set(step, times);
    return times;
  }

  async start(pollMs = 25): Promise<void> {
    await this.#admin.connect();
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topic: INVENTORY_EVENTS, fromBeginning: true });
    await this.#consumer.run({
      eachBatch: async ({ batch }) => {
        const at = this.now();
        for (const message of batch.messages) this.#onDecision(batch.partition, message, at);
        await Promise.resolve();
      },
    });
    this.#timer = setInterval(() => void this.#pollCounted(), pollMs);
  }

  #onDecision(
    partition: number,
    message: { offset: string; value: Buffer | null },
    at: number,
  ): void {
    const value = message.value?.toString() ?? "";
    const start = value.indexOf(this.#marker);
    if (start < 0) return;
    const from = start + this.#marker.length;
    const end = value.indexOf('"', from);
    const [step, index] = value.slice(from, end).split("-").map(Number);
    const times = this.steps.get(step!);
    if (!times || index === undefined || !(index < times.decidedAt.length)) return;
    if (!Number.isNaN(times.decidedAt[index]!)) return; // a repeat: the first one counts
    times.decidedAt[index] = at;
    times.decided++;
    const list = this.#waiting.get(partition) ?? [];
    list.push({ offset: BigInt(message.offset), step: step!, index });
    this.#waiting.set(partition, list);
  }

  async #pollCounted(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const [topic] = await this.#admin.fetchOffsets({
        groupId: ANALYTICS_GROUP,
        topics: [INVENTORY_EVENTS],
      });
      const at = this.now();
      for (const { partition, offset } of topic?.partitions ?? []) {
        const committed = BigInt(offset);
        const list = this.#waiting.get(partition);
        if (!list || committed < 0n) continue;
        let done = 0;
        while (done < list.length && list[done]!.offset < committed) {
          const { step, index } = list[done]!;
          const times = this.steps.get(step)!;
          times.countedAt[index] = at;
          times.counted++;
          done++;
        }
        if (done > 0) list.splice(0, done);
      }
    } catch {
      // The next poll tries again.
    } finally {
      this.#polling = false;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#consumer.disconnect();
    await this.#admin.disconnect();
  }
}
