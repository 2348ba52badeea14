import assert from "node:assert/strict";
import {
  assignOffsets,
  type BatcherOptions,
  messageBytes,
  type OutgoingMessage,
  type PartitionAck,
  ProduceBatcher,
  PublishTooLargeError,
  PublishUnavailableError,
} from "./batcher.ts";

const message = (key: string, partition = 0): OutgoingMessage => ({ key, value: key, partition });

/** A fake Kafka: records each request; each resolves when the test says so. */
function fakeKafka() {
  const requests: { messages: OutgoingMessage[]; ack: () => void; fail: (error: Error) => void }[] =
    [];
  const send = (messages: OutgoingMessage[]) =>
    new Promise<PartitionAck[]>((resolve, reject) => {
      const partitions = [...new Set(messages.map((entry) => entry.partition))];
      requests.push({
        messages,
        ack: () =>
          resolve(
            partitions.map((partition) => ({ partition, baseOffset: String(partition * 1000) })),
          ),
        fail: reject,
      });
    });
  return { send, requests };
}

const options: BatcherOptions = {
  lingerMs: 0,
  maxBatchMessages: 100,
  maxPendingMessages: 1000,
  timeoutMs: 1000,
};
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("publishes made in the same tick share one produce request", async () => {
  const kafka = fakeKafka();
  const batcher = new ProduceBatcher(kafka.send, options);
  const results = [
    batcher.publish([message("a")]),
    batcher.publish([message("b")]),
    batcher.publish([message("c")]),
  ];
  await tick();
  assert.equal(kafka.requests.length, 1);
  assert.deepEqual(kafka.requests[0]?.messages.map((entry) => entry.key), ["a", "b", "c"]);
  kafka.requests[0]?.ack();
  assert.deepEqual((await Promise.all(results)).map((acks) => acks[0]?.offset), ["0", "1", "2"]);
  await batcher.close();
});

Deno.test("publishes arriving while a request is in flight go together in the next one", async () => {
  const kafka = fakeKafka();
  const batcher = new ProduceBatcher(kafka.send, options);
  const first = batcher.publish([message("a")]);
  await tick();
  const later = [batcher.publish([message("b")]), batcher.publish([message("c")])];
  await tick();
  assert.equal(kafka.requests.length, 1, "one request in flight at a time");
  kafka.requests[0]?.ack();
  await first;
  await tick();
  assert.equal(kafka.requests.length, 2);
  assert.deepEqual(kafka.requests[1]?.messages.map((entry) => entry.key), ["b", "c"]);
  kafka.requests[1]?.ack();
  await Promise.all(later);
  await batcher.close();
});

Deno.test("a request never exceeds maxBatchMessages, but one large publish is never split", async () => {
  const kafka = fakeKafka();
  const batcher = new ProduceBatcher(kafka.send, { ...options, maxBatchMessages: 3 });
  const big = batcher.publish([message("1"), message("2"), message("3"), message("4")]);
  const small = [batcher.publish([message("5")]), batcher.publish([message("6")])];
  await tick();
  assert.deepEqual(kafka.requests.map((request) => request.messages.length), [4]);
  kafka.requests[0]?.ack();
  await big;
  await tick();
  assert.deepEqual(kafka.requests.map((request) => request.messages.length), [4, 2]);
  kafka.requests[1]?.ack();
  await Promise.all(small);
  await batcher.close();
});

Deno.test("a lone publish waits at most lingerMs for company", async () => {
  const kafka = fakeKafka();
  const batcher = new ProduceBatcher(kafka.send, { ...options, lingerMs: 20 });
  const published = batcher.publish([message("a")]);
  await tick();
  assert.equal(kafka.requests.length, 0, "still lingering");
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.equal(kafka.requests.length, 1);
  kafka.requests[0]?.ack();
  await published;
  await batcher.close();
});

Deno.test("a failed request fails its publishes as unavailable and may-have-been-written", async () => {
  const kafka = fakeKafka();
  const batcher = new ProduceBatcher(kafka.send, options);
  const published = batcher.publish([message("a")]);
  await tick();
  kafka.requests[0]?.fail(new Error("broker gone"));
  await assert.rejects(published, (error: unknown) => {
    assert.ok(error instanceof PublishUnavailableError);
    assert.equal(error.mayHaveBeenWritten, true);
    assert.equal(error.reason, "send_failed");
    assert.match(error.message, /broker gone/);
    return true;
  });
  await batcher.close();
});

Deno.test("a publish still queued at its deadline is dropped unsent", async () => {
  const kafka = fakeKafka();
  const batcher = new ProduceBatcher(kafka.send, { ...options, timeoutMs: 30 });
  const stuck = batcher.publish([message("a")]);
  await tick();
  const queued = batcher.publish([message("b")]);
  const [stuckResult, queuedResult] = await Promise.allSettled([stuck, queued]);
  assert.ok(stuckResult.status === "rejected" && queuedResult.status === "rejected");
  assert.ok(
    queuedResult.reason instanceof PublishUnavailableError &&
      !queuedResult.reason.mayHaveBeenWritten && queuedResult.reason.reason === "timed_out",
  );
  assert.ok(
    stuckResult.reason instanceof PublishUnavailableError && stuckResult.reason.mayHaveBeenWritten,
  );
  assert.equal(batcher.pendingMessages, 0);
  kafka.requests[0]?.ack();
  await tick();
  assert.equal(kafka.requests.length, 1, "the expired publish was never sent");
  await batcher.close();
});

/** A connection the test switches on and off. */
function fakeConnection(ready: boolean) {
  const waiters: Array<() => void> = [];
  return {
    get ready() {
      return ready;
    },
    whenReady: () =>
      ready ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve)),
    set(value: boolean) {
      ready = value;
      if (value) { for (const resolve of waiters.splice(0)) resolve(); }
    },
  };
}

Deno.test("publishes made before the connection is up wait for it and are then sent", async () => {
  const kafka = fakeKafka();
  const connection = fakeConnection(false);
  const batcher = new ProduceBatcher(kafka.send, { ...options, connection });
  const published = [batcher.publish([message("a")]), batcher.publish([message("b")])];
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(kafka.requests.length, 0, "nothing is sent without a connection");
  connection.set(true);
  await tick();
  assert.deepEqual(kafka.requests[0]?.messages.map((entry) => entry.key), ["a", "b"]);
  kafka.requests[0]?.ack();
  assert.equal((await Promise.all(published)).length, 2);
  await batcher.close();
});

Deno.test("a publish that never saw a connection fails as not_connected, not written", async () => {
  const kafka = fakeKafka();
  const batcher = new ProduceBatcher(kafka.send, {
    ...options,
    timeoutMs: 30,
    connection: fakeConnection(false),
  });
  await assert.rejects(batcher.publish([message("a")]), (error: unknown) => {
    assert.ok(error instanceof PublishUnavailableError);
    assert.equal(error.reason, "not_connected");
    assert.equal(error.mayHaveBeenWritten, false);
    assert.match(error.message, /^Not connected to Kafka within 30 ms/);
    return true;
  });
  assert.equal(kafka.requests.length, 0);
  await batcher.close();
});

Deno.test("a request Kafka refuses as too large fails as too_large", async () => {
  const kafka = fakeKafka();
  const batcher = new ProduceBatcher(kafka.send, options);
  const published = batcher.publish([message("a")]);
  await tick();
  kafka.requests[0]?.fail(
    Object.assign(new Error("The request included a message larger than the max message size"), {
      type: "MESSAGE_TOO_LARGE",
    }),
  );
  await assert.rejects(published, (error: unknown) => {
    assert.ok(error instanceof PublishUnavailableError);
    assert.equal(error.reason, "too_large");
    return true;
  });
  await batcher.close();
});

Deno.test("publishes beyond maxPendingMessages fail at once instead of queueing", async () => {
  const kafka = fakeKafka();
  const batcher = new ProduceBatcher(kafka.send, { ...options, maxPendingMessages: 2 });
  const inFlight = batcher.publish([message("a")]);
  await tick();
  const queued = [batcher.publish([message("b")]), batcher.publish([message("c")])];
  await assert.rejects(batcher.publish([message("d")]), /Too many orders waiting for Kafka/);
  kafka.requests[0]?.ack();
  await inFlight;
  await tick();
  kafka.requests[1]?.ack();
  await Promise.all(queued);
  await batcher.close();
});

Deno.test("close() sends what is queued, then refuses new publishes", async () => {
  const kafka = fakeKafka();
  const batcher = new ProduceBatcher(kafka.send, { ...options, lingerMs: 50 });
  const published = batcher.publish([message("a")]);
  const closed = batcher.close();
  await tick();
  kafka.requests[0]?.ack();
  await closed;
  await published;
  await assert.rejects(batcher.publish([message("b")]), /shutting down/);
});

Deno.test("assignOffsets() numbers each partition's messages from its base offset, in order", () => {
  const messages = [
    message("a", 0),
    message("b", 2),
    message("c", 0),
    message("d", 2),
    message("e", 0),
  ];
  const acks = assignOffsets(messages, [{ partition: 2, baseOffset: "41" }, {
    partition: 0,
    baseOffset: "7",
  }]);
  assert.deepEqual(acks.map((ack) => `${ack.partition}:${ack.offset}`), [
    "0:7",
    "2:41",
    "0:8",
    "2:42",
    "0:9",
  ]);
});

Deno.test("assignOffsets() refuses an acknowledgement that misses a partition", () => {
  assert.throws(
    () => assignOffsets([message("a", 1)], [{ partition: 0, baseOffset: "0" }]),
    /no write to partition 1/,
  );
});

Deno.test("publishes that together exceed maxBatchBytes go in separate produce requests", async () => {
  const kafka = fakeKafka();
  const batcher = new ProduceBatcher(kafka.send, options);
  const big = (key: string) => [{ key, value: "x".repeat(500_000), partition: 0 }];
  const first = batcher.publish(big("a"));
  const second = batcher.publish(big("b"));
  await tick();
  assert.equal(kafka.requests.length, 1);
  assert.deepEqual(kafka.requests[0]?.messages.map((entry) => entry.key), ["a"]);
  kafka.requests[0]?.ack();
  await first;
  await tick();
  assert.deepEqual(kafka.requests[1]?.messages.map((entry) => entry.key), ["b"]);
  kafka.requests[1]?.ack();
  await second;
  await batcher.close();
});

Deno.test("a publish larger than one produce request may be is refused at once, unsent", async () => {
  const kafka = fakeKafka();
  const batcher = new ProduceBatcher(kafka.send, { ...options, maxBatchBytes: 1_000 });
  // 320 three-byte characters: 960 bytes of value, over the bound with key and framing.
  await assert.rejects(
    batcher.publish([{ key: "k", value: "€".repeat(320), partition: 0 }, message("a")]),
    (error: unknown) => {
      assert.ok(error instanceof PublishTooLargeError);
      assert.equal(error.limitBytes, 1_000);
      assert.ok(error.bytes > 1_000 && error.bytes < 1_100, String(error.bytes));
      return true;
    },
  );
  assert.equal(kafka.requests.length, 0);
  await batcher.close();
});

Deno.test("messageBytes() counts UTF-8 bytes of key and value plus framing", () => {
  const framing = messageBytes({ key: "", value: "", partition: 0 });
  assert.equal(messageBytes({ key: "ab", value: "é€\u{1F355}", partition: 0 }), framing + 2 + 9);
});

Deno.test("a produce request abandoned at its deadline fails as timed_out, may have been written", async () => {
  const kafka = fakeKafka();
  const batcher = new ProduceBatcher(kafka.send, options);
  const published = batcher.publish([message("a")]);
  await tick();
  const timeout = new Error("Kafka did not answer the produce request within 1000 ms");
  timeout.name = "SendTimeoutError";
  kafka.requests[0]?.fail(timeout);
  await assert.rejects(published, (error: unknown) => {
    assert.ok(error instanceof PublishUnavailableError);
    assert.equal(error.reason, "timed_out");
    assert.equal(error.mayHaveBeenWritten, true);
    return true;
  });
  await batcher.close();
});

Deno.test("close() with orders waiting for a lost connection fails them at once and returns", async () => {
  const kafka = fakeKafka();
  const connection = fakeConnection(true);
  const batcher = new ProduceBatcher(kafka.send, { ...options, connection });
  const first = batcher.publish([message("a")]);
  await tick();
  connection.set(false); // e.g. the send below fails and a new session connects
  const waiting = batcher.publish([message("b")]);
  kafka.requests[0]?.ack();
  await first;
  await batcher.close();
  await assert.rejects(waiting, (error: unknown) => {
    assert.ok(error instanceof PublishUnavailableError);
    assert.equal(error.reason, "shutting_down");
    assert.equal(error.mayHaveBeenWritten, false);
    return true;
  });
});
