import assert from "node:assert/strict";
import { planCluster } from "./cluster.ts";
import { newClusterId, serverProperties } from "./config.ts";

function parse(properties: string): Map<string, string> {
  return new Map(
    properties.split("\n").filter((line) => line.includes("=")).map((line) => {
      const at = line.indexOf("=");
      return [line.slice(0, at), line.slice(at + 1)] as [string, string];
    }),
  );
}

Deno.test("serverProperties() configures a loopback KRaft node on the given ports", () => {
  const props = parse(
    serverProperties({ port: 19092, controllerPort: 19093, logDir: "/data/logs" }),
  );
  assert.equal(props.get("process.roles"), "broker,controller");
  assert.equal(props.get("controller.quorum.voters"), "1@127.0.0.1:19093");
  assert.equal(props.get("listeners"), "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093");
  assert.equal(props.get("advertised.listeners"), "PLAINTEXT://127.0.0.1:19092");
  assert.equal(props.get("log.dirs"), "/data/logs");
  assert.equal(props.get("auto.create.topics.enable"), "false");
});

Deno.test("serverProperties() sets internal topics to one replica, or groups and transactions never start", () => {
  const props = parse(serverProperties({ port: 9092, controllerPort: 9093, logDir: "/l" }));
  assert.equal(props.get("offsets.topic.replication.factor"), "1");
  assert.equal(props.get("transaction.state.log.replication.factor"), "1");
  assert.equal(props.get("transaction.state.log.min.isr"), "1");
});

Deno.test("serverProperties() of a three-node cluster: three replicas, two in sync, internal topics too", () => {
  const voters = [1, 2, 3].map((id) => ({ id, controllerPort: 9091 + 2 * id }));
  const props = parse(
    serverProperties({ port: 9094, controllerPort: 9095, logDir: "/l", nodeId: 2, voters }),
  );
  assert.equal(props.get("node.id"), "2");
  assert.equal(
    props.get("controller.quorum.voters"),
    "1@127.0.0.1:9093,2@127.0.0.1:9095,3@127.0.0.1:9097",
  );
  assert.equal(props.get("listeners"), "PLAINTEXT://127.0.0.1:9094,CONTROLLER://127.0.0.1:9095");
  for (const key of ["default.replication.factor", "offsets.topic.replication.factor"]) {
    assert.equal(props.get(key), "3", key);
  }
  assert.equal(props.get("transaction.state.log.replication.factor"), "3");
  assert.equal(props.get("min.insync.replicas"), "2");
  assert.equal(props.get("transaction.state.log.min.isr"), "2");
});

Deno.test("newClusterId() makes 22-character base64url ids, different each time, never starting with a dash", () => {
  const ids = new Set(Array.from({ length: 2000 }, newClusterId));
  assert.equal(ids.size, 2000);
  for (const id of ids) {
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/, "22 characters, never a leading dash");
  }
});

Deno.test("planCluster() gives node k the ports after node k-1's and a directory of its own", () => {
  assert.deepEqual(planCluster({ nodes: 3, port: 9092, controllerPort: 9093, dataDir: "/d" }), [
    { id: 1, port: 9092, controllerPort: 9093, dataDir: "/d/node-1" },
    { id: 2, port: 9094, controllerPort: 9095, dataDir: "/d/node-2" },
    { id: 3, port: 9096, controllerPort: 9097, dataDir: "/d/node-3" },
  ]);
});
