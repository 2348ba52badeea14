/**
 * How long each fault kept orders from flowing end to end, read from the history, the decisions
 * and analytics' samples. Pure.
 *
 * An order **flows** when its first attempt was acknowledged and analytics counted its decision
 * within {@linkcode FLOW_WITHIN_MS} of the order's intended send time (invalid requests and
 * retries are left out). A fault **disrupts** when an order meant to be sent after it began, and
 * before the next fault began, does not flow; it has **recovered** at the moment analytics counted
 * the first order, meant to be sent after that first stalled one, from which on every order meant
 * for the next {@linkcode STEADY_MS} flows (or every order up to the end of the load). A fault
 * that disrupts nothing recovers in 0 s.
 *
 * When analytics counted an order is estimated from the samples (every 250 ms): the first sample,
 * at or after its decision, whose count reaches the number of orders decided up to that decision.
 * The count mixes partitions, so while analytics lags on one partition and not on others an order
 * can look counted a little early.
 * @module
 */
import type { Decision } from "./checker.ts";
import type { Operation } from "./history.ts";
import type { Sample } from "./sampler.ts";
import { describeFault, type Episode } from "./schedule.ts";

/** Longest end-to-end time of an order that still counts as flowing. */
export const FLOW_WITHIN_MS = 1_000;
/** How long every order must flow for the system to count as recovered. */
export const STEADY_MS = 1_000;

/** What the nemesis did, with the real times. */
export interface EpisodeRun {
  episode: Episode;
  injectedAt: number;
  healedAt: number;
  /** Set when the nemesis could not do what the schedule said. */
  error?: string;
}

/** How one fault went. */
export interface Recovery {
  episode: Episode;
  injectedAt: number;
  healedAt: number;
  /** From injection until orders flowed again; undefined if they never did. */
  recoveryMs: number | undefined;
  /** Answers 503 to requests (retries included) meant to be sent between injection and recovery. */
  unavailable: number;
  /** Requests without an answer or refused, meant to be sent between injection and recovery. */
  noAnswer: number;
}

/** When analytics counted each decided order, estimated from the samples. */
export class CountedClock {
  #decidedAt: number[];
  #samples: readonly Sample[];
  #sampleTimes: number[];

  constructor(decisions: readonly Decision[], samples: readonly Sample[]) {
    const seen = new Set<string>();
    this.#decidedAt = decisions.filter((decision) =>
      !seen.has(decision.orderId) && seen.add(decision.orderId)
    ).map((decision) => decision.decidedAt).sort((a, b) => a - b);
    this.#samples = [...samples].sort((a, b) => a.at - b.at);
    this.#sampleTimes = this.#samples.map((sample) => sample.at);
  }

  /** When the order decided at `decidedAt` was counted; undefined if no sample shows it. */
  countedAt(decidedAt: number): number | undefined {
    const rank = bound(this.#decidedAt, decidedAt, false);
    let index = bound(this.#sampleTimes, decidedAt, true);
    for (; index < this.#samples.length; index++) {
      const sample = this.#samples[index]!;
      if (sample.analyticsTotal !== null && sample.analyticsTotal >= rank) return sample.at;
    }
    return undefined;
  }
}

/**
 * Index of the first element of sorted `values` above `value` (`inclusive`: at or above it).
 */
function bound(values: readonly number[], value: number, inclusive: boolean): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const before = inclusive ? values[middle]! < value : values[middle]! <= value;
    if (before) low = middle + 1;
    else high = middle;
  }
  return low;
}

interface Flow {
  intendedAt: number;
  countedAt: number | undefined;
  flows: boolean;
}

/** The first attempts of valid orders in intended order, with when each was counted. */
export function flowsOf(
  operations: readonly Operation[],
  decisions: readonly Decision[],
  samples: readonly Sample[],
): Flow[] {
  const clock = new CountedClock(decisions, samples);
  const decidedAt = new Map<string, number>();
  for (const decision of decisions) {
    if (!decidedAt.has(decision.orderId)) decidedAt.set(decision.orderId, decision.decidedAt);
  }
  return operations
    .filter((operation) => operation.attempt === 1 && operation.valid)
    .sort((a, b) => a.intendedAt - b.intendedAt)
    .map((operation) => {
      const decided = operation.outcome === "accepted" && operation.orderId !== undefined
        ? decidedAt.get(operation.orderId)
        : undefined;
      const countedAt = decided === undefined ? undefined : clock.countedAt(decided);
      return {
        intendedAt: operation.intendedAt,
        countedAt,
        flows: countedAt !== undefined && countedAt - operation.intendedAt <= FLOW_WITHIN_MS,
      };
    });
}

/** Recovery of each fault. */
export function recoveries(
  runs: readonly EpisodeRun[],
  operations: readonly Operation[],
  decisions: readonly Decision[],
  samples: readonly Sample[],
): Recovery[] {
  const flows = flowsOf(operations, decisions, samples);
  // For each flow, the index of the next one that does not flow (flows.length if none).
  const nextStall = new Array<number>(flows.length + 1).fill(flows.length);
  for (let index = flows.length - 1; index >= 0; index--) {
    nextStall[index] = flows[index]!.flows ? nextStall[index + 1]! : index;
  }
  const intendedTimes = flows.map((flow) => flow.intendedAt);
  const starts = runs.map((run) => run.injectedAt).sort((a, b) => a - b);
  return runs.map((run) => {
    const nextFaultAt = starts.find((at) => at > run.injectedAt) ?? Infinity;
    let index = nextStall[bound(intendedTimes, run.injectedAt, true)]!;
    if (index === flows.length || flows[index]!.intendedAt >= nextFaultAt) {
      return { ...run, recoveryMs: 0, unavailable: 0, noAnswer: 0 };
    }
    let recoveredAt: number | undefined;
    while (index < flows.length) {
      const flow = flows[index]!;
      const stall = nextStall[index]!;
      if (stall === index) {
        index++;
        continue;
      }
      if (stall === flows.length || flows[stall]!.intendedAt > flow.intendedAt + STEADY_MS) {
        recoveredAt = flow.countedAt;
        break;
      }
      index = stall + 1;
    }
    const until = recoveredAt ?? Infinity;
    const during = operations.filter((operation) =>
      operation.intendedAt >= run.injectedAt && operation.intendedAt <= until
    );
    return {
      episode: run.episode,
      injectedAt: run.injectedAt,
      healedAt: run.healedAt,
      recoveryMs: recoveredAt === undefined ? undefined : recoveredAt - run.injectedAt,
      unavailable: during.filter((operation) => operation.outcome === "unavailable").length,
      noAnswer: during.filter((operation) =>
        operation.outcome === "no_answer" || operation.outcome === "refused"
      ).length,
    };
  });
}

/** One row per kind of fault. */
export interface FaultRow {
  fault: string;
  injected: number;
  recoveredP50Ms: number | undefined;
  recoveredMaxMs: number | undefined;
  neverRecovered: number;
  unavailable: number;
  noAnswer: number;
}

/** Groups recoveries by fault kind, in a stable order. */
export function faultTable(recoveries: readonly Recovery[]): FaultRow[] {
  const groups = new Map<string, Recovery[]>();
  for (const recovery of recoveries) {
    const name = describeFault(recovery.episode);
    groups.set(name, [...(groups.get(name) ?? []), recovery]);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([fault, group]) => {
    const times = group.flatMap((recovery) =>
      recovery.recoveryMs === undefined ? [] : [recovery.recoveryMs]
    ).sort((a, b) => a - b);
    return {
      fault,
      injected: group.length,
      recoveredP50Ms: times.length ? times[Math.floor((times.length - 1) / 2)] : undefined,
      recoveredMaxMs: times.at(-1),
      neverRecovered: group.length - times.length,
      unavailable: group.reduce((sum, recovery) => sum + recovery.unavailable, 0),
      noAnswer: group.reduce((sum, recovery) => sum + recovery.noAnswer, 0),
    };
  });
}
