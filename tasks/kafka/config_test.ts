import assert from "node:assert/strict";
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

Deno.test("newClusterId() makes 22-character base64url ids, different each time, never starting with a dash", () => {
  const ids = new Set(Array.from({ length: 2000 }, newClusterId));
  assert.equal(ids.size, 2000);
  for (const id of ids) {
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/, "22 characters, never a leading dash");
  }
});
