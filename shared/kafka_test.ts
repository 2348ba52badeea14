import assert from "node:assert/strict";
import type { LogLevel } from "./log.ts";

// kafkajs reads environment variables when it loads; without env access these tests are ignored
// (plain `deno test --allow-net`), and `deno task test` grants it.
const ignore = Deno.permissions.querySync({ name: "env" }).state !== "granted";
const load = async () => {
  const [{ logLevel }, { createLogger }, { kafkaLogCreator, keyPartitioner }] = await Promise.all([
    import("kafkajs"),
    import("./log.ts"),
    import("./kafka.ts"),
  ]);
  const lines: { level: LogLevel; msg: string }[] = [];
  const logger = createLogger({
    service: "t",
    level: "debug",
    write: (line) => lines.push(JSON.parse(line)),
  });
  return { lines, logLevel, log: kafkaLogCreator(logger)(logLevel.DEBUG), keyPartitioner };
};

Deno.test(
  { name: "kafkaLogCreator() keeps kafkajs levels and adds the component", ignore },
  async () => {
    const { lines, log, logLevel } = await load();
    log({
      namespace: "Producer",
      level: logLevel.ERROR,
      label: "ERROR",
      log: { message: "broken", timestamp: "", logger: "kafkajs" },
    });
    assert.deepEqual(lines.map((line) => [line.level, line.msg]), [["error", "broken"]]);
  },
);

Deno.test(
  { name: "kafkaLogCreator() logs expected, retried broker answers at debug", ignore },
  async () => {
    const { lines, log, logLevel } = await load();
    log({
      namespace: "Connection",
      level: logLevel.ERROR,
      label: "ERROR",
      log: {
        message: "Response AddPartitionsToTxn(key: 24, version: 1)",
        error:
          "The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing",
        timestamp: "",
        logger: "kafkajs",
      },
    });
    assert.equal(lines[0]?.level, "debug");
  },
);

Deno.test(
  {
    name: "kafkaLogCreator() drops kafkajs's bounded-retries warning, which does not apply",
    ignore,
  },
  async () => {
    const { lines, log, logLevel } = await load();
    log({
      namespace: "Producer",
      level: logLevel.WARN,
      label: "WARN",
      log: {
        message: "Limiting retries for the idempotent producer may invalidate EoS guarantees",
        timestamp: "",
        logger: "kafkajs",
      },
    });
    log({
      namespace: "Producer",
      level: logLevel.WARN,
      label: "WARN",
      log: { message: "another warning", timestamp: "", logger: "kafkajs" },
    });
    assert.deepEqual(lines.map((line) => [line.level, line.msg]), [["warn", "another warning"]]);
  },
);

Deno.test({
  name: "keyPartitioner() picks the partitions the Java client's default partitioner picks",
  ignore,
}, async () => {
  const { keyPartitioner } = await load();
  const partitionFor = keyPartitioner(3);
  // Utils.toPositive(Utils.murmur2(key)) % 3, computed with kafka-clients 4.4.0.
  const java = {
    pizza: 2,
    burger: 2,
    salad: 1,
    sushi: 1,
    pasta: 1,
    soup: 0,
    taco: 2,
    curry: 0,
    "chef-special": 0,
    "falafel-wrap": 1,
  };
  assert.deepEqual(
    Object.fromEntries(Object.keys(java).map((key) => [key, partitionFor(key)])),
    java,
  );
});

Deno.test("retryWhileLeaderMoves() retries retriable errors, and only those", async () => {
  const { retryWhileLeaderMoves } = await import("./kafka.ts");
  let calls = 0;
  const notLeader = Object.assign(new Error("This server is not the leader"), { retriable: true });
  assert.equal(
    await retryWhileLeaderMoves(() => ++calls < 3 ? Promise.reject(notLeader) : Promise.resolve(7)),
    7,
  );
  assert.equal(calls, 3);
  calls = 0;
  await assert.rejects(
    retryWhileLeaderMoves(() => (calls++, Promise.reject(new Error("unknown topic")))),
    /unknown topic/,
  );
  assert.equal(calls, 1, "not retried");
  await assert.rejects(
    retryWhileLeaderMoves(() => Promise.reject(notLeader), 120),
    /not the leader/,
  );
});
