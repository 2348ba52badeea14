import assert from "node:assert/strict";
import { createLogger } from "@campus/shared/log";
import type { OutgoingMessage } from "./batcher.ts";
import {
  OrderOutbox,
  OutboxFullError,
  type OutboxOptions,
  OutboxUnavailableError,
} from "./outbox.ts";
import { MemoryOutboxStore as MemoryStore } from "./testdata/memory_outbox_store.ts";

/** A connection to flip, and a Kafka that records what it got and fails when told to. */
function setup(overrides: Partial<OutboxOptions> = {}) {
  const store = new MemoryStore();
  let ready = true;
  let onReady: (() => void)[] = [];
  const connection = {
    get ready() {
      return ready;
    },
    whenReady: () => ready ? Promise.resolve() : new Promise<void>((r) => onReady.push(r)),
  };
  const setReady = (value: boolean) => {
    ready = value;
    if (value) {
      for (const resolve of onReady) resolve();
      onReady = [];
    }
  };
  const sent: OutgoingMessage[][] = [];
  let failures = 0;
  const sleeps: number[] = [];
  let clock = 1_000_000;
  const options: OutboxOptions = {
    store,
    maxBytes: 10_000,
    send: (messages) => {
      if (failures > 0) {
        failures--;
        return Promise.reject(new Error("Kafka is away"));
      }
      sent.push(messages);
      return Promise.resolve();
    },
    connection,
    partitionFor: (key) => key.length % 3,
    relayBatchMessages: 2,
    relayBatchBytes: 100_000,
    retryDelayMs: 500,
    logger: createLogger({ service: "test", write: () => {} }),
    now: () => clock,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    ...overrides,
  };
  const outbox = new OrderOutbox(options);
  return {
    outbox,
    store,
    sent,
    sleeps,
    setReady,
    failNext: (count: number) => failures = count,
    advance: (ms: number) => clock += ms,
  };
}

const order = (key: string, n: number) => ({ key, value: `{"n":${n}}` });

/** Lets the relay and the zero-delay flush timer run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("orders enqueued in the same turn share one commit and resolve only once stored", async () => {
  const { outbox, store } = setup();
  let stored = 0;
  const all = [1, 2, 3].map((n) => outbox.enqueue([order("pizza", n)]).then(() => stored++));
  assert.equal(stored, 0);
  assert.equal(outbox.active, true, "pending orders make the outbox active at once");
  assert.equal(store.depth, 0, "nothing is on disk yet");
  await Promise.all(all);
  assert.equal(store.commits, 1);
  assert.equal(store.depth, 3);
  await outbox.close();
});

Deno.test("the relay sends the oldest first, in order, deletes only what Kafka acknowledged, then is idle", async () => {
  const { outbox, store, sent } = setup();
  await outbox.enqueue([order("pizza", 1), order("soup", 2), order("pizza", 3)]);
  await outbox.enqueue([order("pizza", 4)]);
  outbox.start();
  await settle();
  assert.deepEqual(sent.map((batch) => batch.map((m) => m.value)), [
    ['{"n":1}', '{"n":2}'],
    ['{"n":3}', '{"n":4}'],
  ]);
  assert.deepEqual(sent[0]!.map((m) => m.partition), [2, 1], "partition chosen when relayed");
  assert.equal(store.depth, 0);
  assert.equal(outbox.active, false);
  // Later orders wake the relay again.
  await outbox.enqueue([order("taco", 5)]);
  await settle();
  assert.equal(sent.length, 3);
  await outbox.close();
  assert.equal(store.closed, true);
});

Deno.test("a failed relay send keeps the orders and retries the same ones after a growing pause", async () => {
  const { outbox, store, sent, sleeps, failNext } = setup();
  await outbox.enqueue([order("pizza", 1), order("pizza", 2)]);
  failNext(3);
  outbox.start();
  await settle();
  assert.deepEqual(sleeps, [500, 1000, 2000]);
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0]!.map((m) => m.value), ['{"n":1}', '{"n":2}']);
  assert.equal(store.depth, 0);
  await outbox.close();
});

Deno.test("the relay waits for a connection before sending", async () => {
  const { outbox, sent, setReady } = setup();
  setReady(false);
  await outbox.enqueue([order("pizza", 1)]);
  outbox.start();
  await settle();
  assert.equal(sent.length, 0);
  assert.equal(outbox.active, true);
  setReady(true);
  await settle();
  assert.equal(sent.length, 1);
  assert.equal(outbox.active, false);
  await outbox.close();
});

Deno.test("past maxBytes an enqueue fails with OutboxFullError and stores nothing; room comes back when drained", async () => {
  const { outbox, store, setReady } = setup({ maxBytes: 200 });
  setReady(false);
  outbox.start();
  const big = { key: "pizza", value: "x".repeat(120) };
  await outbox.enqueue([big]);
  await assert.rejects(outbox.enqueue([big]), OutboxFullError);
  assert.equal(store.depth, 1);
  await outbox.enqueue([{ key: "pizza", value: "x".repeat(20) }]);
  await outbox.enqueue([{ key: "pizza", value: "x".repeat(20) }]).then(
    () => assert.fail("past the bound"),
    (error) => assert.ok(error instanceof OutboxFullError),
  );
  setReady(true);
  await settle();
  assert.equal(store.depth, 0);
  await outbox.enqueue([big]);
  await outbox.close();
});

Deno.test("when the store cannot write, every order of that commit is refused, none half-stored", async () => {
  const { outbox, store } = setup();
  store.failNextAppend = true;
  const results = await Promise.allSettled([
    outbox.enqueue([order("pizza", 1)]),
    outbox.enqueue([order("soup", 2)]),
  ]);
  for (const result of results) {
    assert.equal(result.status, "rejected");
    assert.ok(result.reason instanceof OutboxUnavailableError);
  }
  assert.equal(store.depth, 0);
  assert.equal(outbox.active, false);
  await outbox.close();
});

Deno.test("close stores what is pending; a new outbox on the same store relays it (a restart)", async () => {
  const first = setup();
  first.setReady(false);
  first.outbox.start();
  const pending = first.outbox.enqueue([order("pizza", 1)]);
  await first.outbox.close();
  await pending;
  assert.equal(first.store.depth, 1);
  await assert.rejects(first.outbox.enqueue([order("pizza", 2)]), OutboxUnavailableError);

  const sent: OutgoingMessage[][] = [];
  const second = new OrderOutbox({
    store: first.store,
    maxBytes: 10_000,
    send: (messages) => (sent.push(messages), Promise.resolve()),
    connection: { ready: true, whenReady: () => Promise.resolve() },
    partitionFor: () => 0,
    relayBatchMessages: 10,
    relayBatchBytes: 10_000,
    retryDelayMs: 1,
    logger: createLogger({ service: "test", write: () => {} }),
  });
  second.start();
  await settle();
  assert.deepEqual(sent.map((batch) => batch.map((m) => m.value)), [['{"n":1}']]);
  assert.equal(first.store.depth, 0);
  await second.close();
});

Deno.test("a store error in the relay is retried, never fatal", async () => {
  const { outbox, store, sent, sleeps } = setup();
  await outbox.enqueue([order("pizza", 1)]);
  const remove = store.removeThrough.bind(store);
  let failDelete = 1;
  store.removeThrough = (seq) => {
    if (failDelete-- > 0) throw new Error("disk I/O error");
    remove(seq);
  };
  outbox.start();
  await settle();
  assert.equal(sleeps.length, 1);
  assert.equal(store.depth, 0);
  // Sent twice (same order, same ids): the delete of the first send failed.
  assert.equal(sent.length, 2);
  await outbox.close();
});

Deno.test("stats report depth, bytes and the age of the oldest order by the clock", async () => {
  const { outbox, setReady, advance } = setup();
  setReady(false);
  assert.deepEqual(outbox.stats(), {
    depth: 0,
    bytes: 0,
    max_bytes: 10_000,
    oldest_age_seconds: 0,
  });
  await outbox.enqueue([order("pizza", 1), order("soup", 2)]);
  advance(2_500);
  const stats = outbox.stats();
  assert.equal(stats.depth, 2);
  assert.ok(stats.bytes > 0);
  assert.equal(stats.oldest_age_seconds, 2.5);
  await outbox.close();
});
