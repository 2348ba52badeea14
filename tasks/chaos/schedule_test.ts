import assert from "node:assert/strict";
import { describeEpisode, parseFaults, planSchedule, TARGETS, WARMUP_SECONDS } from "./schedule.ts";
import { SeededRandom } from "./random.ts";

Deno.test("a seed always gives the same schedule, and other seeds other schedules", () => {
  assert.deepEqual(planSchedule(42, 120), planSchedule(42, 120));
  const descriptions = (seed: number) => planSchedule(seed, 120).episodes.map(describeEpisode);
  assert.notDeepEqual(descriptions(42), descriptions(43));
});

Deno.test("every schedule, however short, hits each process, throttles and rebalances", () => {
  for (let seed = 0; seed < 200; seed++) {
    const { episodes } = planSchedule(seed, 10);
    for (const target of TARGETS) {
      assert.ok(
        episodes.some((episode) =>
          episode.target === target && ["kill", "pause", "restart"].includes(episode.kind)
        ),
        `seed ${seed} never hits ${target}`,
      );
    }
    assert.ok(episodes.some((episode) => episode.kind === "throttle"), `seed ${seed}: no throttle`);
    assert.ok(episodes.some((episode) => episode.kind === "join"), `seed ${seed}: no join`);
  }
});

Deno.test("faults start after the warm-up, in order, and longer runs draw more of them", () => {
  const { episodes } = planSchedule(7, 300);
  assert.equal(episodes[0]!.at, WARMUP_SECONDS);
  for (let index = 1; index < episodes.length; index++) {
    assert.ok(episodes[index]!.at > episodes[index - 1]!.at + episodes[index - 1]!.holdSeconds);
    assert.equal(episodes[index]!.index, index);
  }
  assert.ok(episodes.length > planSchedule(7, 60).episodes.length);
  assert.ok(episodes.at(-1)!.at < 300);
});

Deno.test("episodes read as what the nemesis does", () => {
  const lines = planSchedule(3, 60).episodes.map(describeEpisode);
  for (const line of lines) {
    assert.match(
      line,
      /^(kill -9 \w+, back after|SIGSTOP \w+, SIGCONT after|graceful restart \w+, back after|throttle inventory to [\d.]+ s\/message for|second inventory joins, leaves by (kill -9|a graceful stop) after) [\d.]+ s$/,
    );
  }
});

Deno.test("the generator is uniform enough and stays in range", () => {
  const random = new SeededRandom(1);
  const counts = [0, 0, 0, 0];
  for (let index = 0; index < 40_000; index++) {
    const value = random.int(0, 3);
    assert.ok(value >= 0 && value <= 3);
    counts[value]!++;
  }
  for (const count of counts) assert.ok(Math.abs(count - 10_000) < 500, `${counts}`);
  assert.deepEqual(new SeededRandom(5).shuffled([1, 2, 3, 4]).sort(), [1, 2, 3, 4]);
});

Deno.test("--faults narrows the schedule to the faults it names", () => {
  const faults = parseFaults("restart:broker, kill:broker");
  assert.deepEqual(
    faults,
    [{ kind: "kill", target: "broker" }, { kind: "restart", target: "broker" }].reverse(),
  );
  const { episodes } = planSchedule(9, 120, faults);
  assert.ok(episodes.length >= 5);
  for (const episode of episodes) {
    assert.equal(episode.target, "broker");
    assert.ok(["kill", "restart"].includes(episode.kind));
  }
  assert.equal(parseFaults("pause:*").length, 4);
  assert.deepEqual(parseFaults("throttle"), [{ kind: "throttle", target: "inventory" }]);
  assert.throws(() => parseFaults("explode:broker"), /Unknown fault "explode:broker"/);
  assert.throws(() => parseFaults("kill:database"), /Unknown fault/);
});
