import assert from "node:assert/strict";
import { OutboxLockedError, SqliteOutboxStore, strayOutboxes } from "./outbox_store.ts";

const DIR = ".data/unit/outbox-store";
const ignore = Deno.permissions.querySync({ name: "write", path: DIR }).state !== "granted" ||
  Deno.permissions.querySync({ name: "read", path: DIR }).state !== "granted";

function freshPath(): string {
  Deno.mkdirSync(DIR, { recursive: true });
  const path = `${DIR}/${crypto.randomUUID()}.sqlite`;
  return path;
}

function cleanUp(path: string): void {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) {
    try {
      Deno.removeSync(path + suffix);
    } catch {
      // not there
    }
  }
}

const order = (key: string, n: number, createdAt = 1000 + n) => ({
  key,
  value: `{"n":${n}}`,
  createdAt,
  bytes: 10 + n,
});

Deno.test({
  name: "the SQLite outbox keeps orders in order across a reopen, and deletes through a sequence",
  ignore,
}, () => {
  const path = freshPath();
  try {
    const store = SqliteOutboxStore.open(path);
    assert.equal(store.depth, 0);
    assert.equal(store.oldestCreatedAt, undefined);
    store.append([order("pizza", 1), order("soup", 2)]);
    store.append([order("pizza", 3)]);
    assert.equal(store.depth, 3);
    assert.equal(store.bytes, 11 + 12 + 13);
    assert.equal(store.oldestCreatedAt, 1001);
    const firstTwo = store.oldest(2, 1_000);
    assert.deepEqual(firstTwo.map((row) => row.value), ['{"n":1}', '{"n":2}']);
    // Bytes bound the batch, but one order always comes.
    assert.equal(store.oldest(10, 23).length, 2);
    assert.equal(store.oldest(10, 1).length, 1);
    store.removeThrough(firstTwo.at(-1)!.seq);
    assert.equal(store.depth, 1);
    assert.equal(store.bytes, 13);
    assert.equal(store.oldestCreatedAt, 1003);
    store.close();

    // As after a crash and restart: what was committed is there, counters and all.
    const reopened = SqliteOutboxStore.open(path);
    assert.equal(reopened.depth, 1);
    assert.equal(reopened.bytes, 13);
    assert.equal(reopened.oldestCreatedAt, 1003);
    reopened.append([order("taco", 4)]);
    const rows = reopened.oldest(10, 1_000);
    assert.deepEqual(rows.map((row) => row.key), ["pizza", "taco"]);
    assert.ok(rows[1]!.seq > rows[0]!.seq, "sequence numbers only grow");
    reopened.close();
  } finally {
    cleanUp(path);
  }
});

Deno.test({
  name: "the SQLite outbox is held by one store at a time",
  ignore,
}, () => {
  const path = freshPath();
  try {
    const store = SqliteOutboxStore.open(path);
    assert.throws(() => SqliteOutboxStore.open(path), OutboxLockedError);
    store.close();
    SqliteOutboxStore.open(path).close();
  } finally {
    cleanUp(path);
  }
});

Deno.test({
  name: "another port's outbox that holds orders and is not in use is reported as stray",
  ignore,
}, () => {
  const dir = `${DIR}/stray-${crypto.randomUUID().slice(0, 8)}`;
  Deno.mkdirSync(dir, { recursive: true });
  try {
    const own = SqliteOutboxStore.open(`${dir}/producer-5001.sqlite`);
    const busy = SqliteOutboxStore.open(`${dir}/producer-5021.sqlite`);
    busy.append([order("soup", 1)]);
    const left = SqliteOutboxStore.open(`${dir}/producer-5011.sqlite`);
    left.append([order("pizza", 1), order("pizza", 2)]);
    left.close();
    const empty = SqliteOutboxStore.open(`${dir}/producer-5031.sqlite`);
    empty.close();
    assert.deepEqual(strayOutboxes(dir, `${dir}/producer-5001.sqlite`), [
      { path: `${dir}/producer-5011.sqlite`, depth: 2 },
    ]);
    busy.close();
    own.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
