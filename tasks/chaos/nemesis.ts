/**
 * The nemesis: carries out a schedule against the stack, one fault at a time, and records when
 * each fault really began and healed.
 * @module
 */
import { sleep } from "@campus/shared/timing";
import type { EpisodeRun } from "./recovery.ts";
import { describeEpisode, type Episode, type Schedule } from "./schedule.ts";
import type { ChaosStack } from "./stack.ts";

/** Least calm after a fault healed before the next begins, when the plan has fallen behind. */
const MIN_CALM_MS = 1_000;

/** What the nemesis needs. */
export interface NemesisOptions {
  stack: ChaosStack;
  /** Sets inventory's seconds per message (its POST /admin/throttle). */
  throttle: (seconds: number) => Promise<void>;
  /** When the load began: the schedule's times count from here. */
  startAt: number;
  say: (line: string) => void;
}

async function inject(episode: Episode, options: NemesisOptions): Promise<void> {
  const { stack } = options;
  const hold = () => sleep(episode.holdSeconds * 1000);
  const target = episode.target;
  switch (episode.kind) {
    case "kill":
      await stack.kill(target);
      await hold();
      await stack.start(target);
      return;
    case "pause":
      await stack.pause(target);
      try {
        await hold();
      } finally {
        await stack.resume(target);
      }
      return;
    case "restart":
      await stack.stop(target);
      await hold();
      await stack.start(target);
      return;
    case "throttle":
      await options.throttle(episode.throttleSeconds ?? 0.01);
      try {
        await hold();
      } finally {
        await options.throttle(0);
      }
      return;
    case "join":
      await stack.start("inventory-2");
      await hold();
      if (episode.leave === "kill") await stack.kill("inventory-2");
      else await stack.stop("inventory-2");
      return;
  }
}

/** Brings a process back after a fault that went wrong half-way, so the run can go on. */
async function heal(episode: Episode, options: NemesisOptions): Promise<void> {
  const { stack } = options;
  if (episode.kind === "join") return await stack.stop("inventory-2").catch(() => {});
  if (episode.kind === "throttle") return await options.throttle(0).catch(() => {});
  await stack.resume(episode.target).catch(() => {});
  await stack.start(episode.target).catch(() => {});
}

/** Runs every episode of `schedule` in turn; resolves with what happened. */
export async function runNemesis(
  schedule: Schedule,
  options: NemesisOptions,
): Promise<EpisodeRun[]> {
  const runs: EpisodeRun[] = [];
  let calmFrom = options.startAt;
  for (const episode of schedule.episodes) {
    const due = Math.max(options.startAt + episode.at * 1000, calmFrom);
    await sleep(Math.max(0, due - Date.now()));
    const injectedAt = Date.now();
    const offset = ((injectedAt - options.startAt) / 1000).toFixed(1);
    options.say(`t=${offset} s  #${episode.index} ${describeEpisode(episode)}`);
    options.stack.note(
      episode.kind === "join" ? "inventory-2" : episode.target,
      `nemesis: ${describeEpisode(episode)}`,
    );
    let error: string | undefined;
    try {
      await inject(episode, options);
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
      options.say(`  #${episode.index} went wrong: ${error}`);
      await heal(episode, options);
    }
    const healedAt = Date.now();
    runs.push({ episode, injectedAt, healedAt, ...(error ? { error } : {}) });
    calmFrom = healedAt + MIN_CALM_MS;
  }
  return runs;
}
