/**
 * The nemesis's plan: which fault, on what, when and for how long, drawn from a seed. Pure, so a
 * seed always gives the same schedule and a failing campaign can be run again exactly.
 * @module
 */
import { SeededRandom } from "./random.ts";

/** The processes a fault can hit. */
export const TARGETS = ["producer", "inventory", "analytics", "broker"] as const;
/** A process a fault can hit. */
export type Target = typeof TARGETS[number];

/** What a fault does to its target. */
export type FaultKind =
  /** SIGKILL, then a new process after `holdSeconds`. */
  | "kill"
  /** SIGSTOP, then SIGCONT after `holdSeconds`: the process hangs without refusing connections. */
  | "pause"
  /** SIGTERM (a graceful stop), then a new process after `holdSeconds`. */
  | "restart"
  /** Inventory slowed to `throttleSeconds` per message for `holdSeconds`, then back to 0. */
  | "throttle"
  /** A second inventory instance joins the group (a rebalance), and leaves after `holdSeconds`. */
  | "join";

/** One fault of the schedule. */
export interface Episode {
  index: number;
  /** When it is meant to start, in seconds from the start of the load. */
  at: number;
  kind: FaultKind;
  target: Target;
  holdSeconds: number;
  /** For `throttle`: seconds per message while it lasts. */
  throttleSeconds?: number;
  /** For `join`: how the second instance leaves (a graceful leave, or SIGKILL and fencing). */
  leave?: "graceful" | "kill";
}

/** A schedule and what it was drawn from. */
export interface Schedule {
  seed: number;
  seconds: number;
  episodes: Episode[];
}

/** How long each kind of fault lasts, in seconds (drawn uniformly). */
const HOLD_SECONDS: Record<FaultKind, [number, number]> = {
  kill: [1, 4],
  pause: [1, 5],
  restart: [0.5, 3],
  throttle: [3, 8],
  join: [4, 10],
};

/** What a process needs to come back after its fault ends, as planned (a JVM takes longest). */
const COMEBACK_SECONDS: Record<Target, number> = {
  producer: 2,
  inventory: 3,
  analytics: 2,
  broker: 8,
};

/** Time without faults at the start, so the first fault meets a system in its steady state. */
export const WARMUP_SECONDS = 3;
/** Calm between the end of one fault's recovery and the next fault, drawn uniformly. */
const GAP_SECONDS: [number, number] = [2, 5];

/** A fault that may be drawn: a kind and the process it hits. */
export interface FaultChoice {
  kind: FaultKind;
  target: Target;
}

/** Every fault the nemesis knows. */
export const ALL_FAULTS: readonly FaultChoice[] = [
  ...TARGETS.flatMap((target) =>
    (["kill", "pause", "restart"] as const).map((kind) => ({ kind, target }))
  ),
  { kind: "throttle", target: "inventory" },
  { kind: "join", target: "inventory" },
];

/**
 * Parses `--faults`, e.g. "kill:broker,restart:broker" or "pause:*,throttle": `kind:target`
 * pairs, `*` for any target; throttle and join need no target.
 */
export function parseFaults(text: string): FaultChoice[] {
  const chosen: FaultChoice[] = [];
  for (const item of text.split(",").map((part) => part.trim()).filter(Boolean)) {
    const [kind, target = "*"] = item.split(":");
    const matches = ALL_FAULTS.filter((fault) =>
      fault.kind === kind && (target === "*" || fault.target === target)
    );
    if (matches.length === 0) {
      throw new Error(
        `Unknown fault "${item}": use kill, pause or restart with :producer, :inventory, :analytics, :broker or :*, or throttle, or join`,
      );
    }
    chosen.push(...matches.filter((fault) => !chosen.includes(fault)));
  }
  return chosen;
}

/**
 * The faults every run holds at least once: of those allowed, one per process (of a random kind)
 * and the throttle and the rebalance, in a seeded order.
 */
function mandatory(
  random: SeededRandom,
  allowed: readonly FaultChoice[],
): Omit<Episode, "index" | "at">[] {
  const faults = TARGETS.flatMap((target) => {
    const kinds = allowed.filter((fault) =>
      fault.target === target && ["kill", "pause", "restart"].includes(fault.kind)
    );
    return kinds.length ? [drawFault(random, random.pick(kinds).kind, target)] : [];
  });
  for (const kind of ["throttle", "join"] as const) {
    if (allowed.some((fault) => fault.kind === kind)) {
      faults.push(drawFault(random, kind, "inventory"));
    }
  }
  return random.shuffled(faults);
}

function drawFault(
  random: SeededRandom,
  kind: FaultKind,
  target: Target,
): Omit<Episode, "index" | "at"> {
  const [low, high] = HOLD_SECONDS[kind];
  const episode: Omit<Episode, "index" | "at"> = {
    kind,
    target,
    holdSeconds: round(random.between(low, high)),
  };
  if (kind === "throttle") episode.throttleSeconds = random.pick([0.005, 0.01, 0.02]);
  if (kind === "join") episode.leave = random.chance(0.5) ? "graceful" : "kill";
  return episode;
}

function anyFault(
  random: SeededRandom,
  allowed: readonly FaultChoice[],
): Omit<Episode, "index" | "at"> {
  // Process faults are drawn by kind first, so that each kind is as likely as throttle or join.
  const kinds = [...new Set(allowed.map((fault) => fault.kind))];
  const kind = random.pick(
    kinds.flatMap((kind) => kind === "throttle" || kind === "join" ? [kind] : [kind, kind]),
  );
  const target = random.pick(allowed.filter((fault) => fault.kind === kind)).target;
  return drawFault(random, kind, target);
}

/** Seconds the plan allows for an episode from its start until the next may begin. */
function plannedSpan(episode: Omit<Episode, "index" | "at">, gap: number): number {
  const comeback = episode.kind === "throttle" || episode.kind === "join"
    ? 1
    : COMEBACK_SECONDS[episode.target];
  return episode.holdSeconds + comeback + gap;
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/**
 * The schedule for `seconds` of load: first one fault of each process kind, the throttle and the
 * rebalance in a seeded order (always, even past `seconds`, so every run covers them), then faults
 * drawn at random while they fit before the end.
 */
export function planSchedule(
  seed: number,
  seconds: number,
  allowed: readonly FaultChoice[] = ALL_FAULTS,
): Schedule {
  if (allowed.length === 0) throw new Error("No fault to draw from");
  const random = new SeededRandom(seed);
  const episodes: Episode[] = [];
  let at = WARMUP_SECONDS;
  const add = (fault: Omit<Episode, "index" | "at">) => {
    episodes.push({ index: episodes.length, at: round(at), ...fault });
    at += plannedSpan(fault, random.between(...GAP_SECONDS));
  };
  for (const fault of mandatory(random, allowed)) add(fault);
  while (true) {
    const fault = anyFault(random, allowed);
    if (at + plannedSpan(fault, 0) > seconds) break;
    add(fault);
  }
  return { seed, seconds, episodes };
}

/** How an episode reads in logs and tables, e.g. "kill -9 broker". */
export function describeFault(episode: Pick<Episode, "kind" | "target">): string {
  switch (episode.kind) {
    case "kill":
      return `kill -9 ${episode.target}`;
    case "pause":
      return `SIGSTOP ${episode.target}`;
    case "restart":
      return `graceful restart ${episode.target}`;
    case "throttle":
      return "throttle inventory";
    case "join":
      return "second inventory joins";
  }
}

/** The whole episode in one line, e.g. "kill -9 broker, back after 2.5 s". */
export function describeEpisode(episode: Episode): string {
  const hold = `${episode.holdSeconds.toFixed(1)} s`;
  switch (episode.kind) {
    case "kill":
    case "restart":
      return `${describeFault(episode)}, back after ${hold}`;
    case "pause":
      return `${describeFault(episode)}, SIGCONT after ${hold}`;
    case "throttle":
      return `${describeFault(episode)} to ${episode.throttleSeconds} s/message for ${hold}`;
    case "join":
      return `${describeFault(episode)}, leaves by ${
        episode.leave === "kill" ? "kill -9" : "a graceful stop"
      } after ${hold}`;
  }
}
