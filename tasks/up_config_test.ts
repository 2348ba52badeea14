import assert from "node:assert/strict";
import { parseConfig } from "@campus/shared/config";
import { parseUpArgs, planInstances, upEnv, UsageError } from "./up_config.ts";

Deno.test("parseUpArgs(): one broker and one instance of each service by default", () => {
  assert.deepEqual(parseUpArgs([]), {
    brokers: 1,
    scale: { producer: 1, inventory: 1, analytics: 1 },
  });
});

Deno.test("parseUpArgs() reads --brokers and --scale, in either form and repeated", () => {
  assert.deepEqual(parseUpArgs(["--brokers", "3", "--scale", "inventory=3,analytics=2"]), {
    brokers: 3,
    scale: { producer: 1, inventory: 3, analytics: 2 },
  });
  assert.deepEqual(
    parseUpArgs(["--brokers=3", "--scale=inventory=2", "--scale", "producer=2"]).scale,
    { producer: 2, inventory: 2, analytics: 1 },
  );
});

Deno.test("parseUpArgs() names what is wrong", () => {
  const cases: Array<[string[], RegExp]> = [
    [["--brokers", "0"], /--brokers must be a whole number from 1 to 5; got "0"/],
    [["--brokers", "two"], /--brokers must be a whole number/],
    [["--brokers", "2"], /--brokers 2 would make a cluster that stops when either node dies/],
    [
      ["--scale", "kitchen=2"],
      /--scale takes SERVICE=N with SERVICE one of producer, inventory, analytics; got "kitchen=2"/,
    ],
    [["--scale", "inventory=10"], /--scale inventory must be a whole number from 1 to 9; got "10"/],
    [["--scale", "inventory"], /got "inventory"/],
    [["--replicas", "3"], /Unknown option '--replicas'/],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseUpArgs(args), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, message);
      return true;
    }, args.join(" "));
  }
});

Deno.test("planInstances() numbers scaled instances and spaces their ports by ten", () => {
  const config = parseConfig(upEnv, { UP_SERVICES: "inventory,analytics" });
  const plan = planInstances(config, { producer: 2, inventory: 3, analytics: 2 });
  assert.deepEqual(plan.map(({ name, port }) => [name, port]), [
    ["inventory-1", 5002],
    ["inventory-2", 5012],
    ["inventory-3", 5022],
    ["analytics-1", 5003],
    ["analytics-2", 5013],
  ]);
  const single = planInstances(parseConfig(upEnv, {}), parseUpArgs([]).scale);
  assert.deepEqual(single.map(({ name, port }) => [name, port]), [
    ["producer", 5001],
    ["inventory", 5002],
    ["analytics", 5003],
  ]);
});
