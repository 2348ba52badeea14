import assert from "node:assert/strict";
import Encoder from "kafkajs/src/protocol/encoder.js";
import encodeRecord from "kafkajs/src/protocol/recordBatch/record/v0/index.js";
import { original, writeUVarInt, writeVarLong } from "./kafkajs_varints.ts";

type Write = (this: unknown, value: never) => unknown;
interface EncoderInstance {
  buffer: Uint8Array;
}
const NewEncoder = Encoder as unknown as new () => EncoderInstance;

function bytesOf(write: Write, value: unknown): number[] {
  const encoder = new NewEncoder();
  write.call(encoder, value as never);
  return [...encoder.buffer];
}

function assertSameBytes(name: string, mine: Write, theirs: Write, value: unknown): void {
  assert.deepEqual(bytesOf(mine, value), bytesOf(theirs, value), `${name}(${String(value)})`);
}

const randomInt = (below: number) => Math.floor(Math.random() * below);

Deno.test("writeUVarInt writes the bytes kafkajs's own writes, for any value", () => {
  const edges = [0, 1, 127, 128, 255, 16_383, 16_384, 2 ** 21 - 1, 2 ** 21, 2 ** 28 - 1, 2 ** 28];
  const odd = [2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 5, -1, -128, -(2 ** 31), 1.5];
  const random = Array.from({ length: 5_000 }, () => randomInt(2 ** 32) - 2 ** 31);
  for (const value of [...edges, ...odd, Number.NaN, ...random]) {
    assertSameBytes("writeUVarInt", writeUVarInt as Write, original.writeUVarInt as Write, value);
  }
});

Deno.test("writeVarLong writes the bytes kafkajs's own writes, for numbers, bigints and strings", () => {
  const numbers = [0, 1, -1, 63, -64, 64, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1];
  const wide = [2 ** 32, 2 ** 53 - 1, -(2 ** 53 - 1), 1_764_000_000_000, -1_764_000_000_000];
  const bigints = [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 40n, -(2n ** 40n) - 3n];
  // Not Kafka values (no field is wider than 64 bits), but kafkajs writes them: so do we.
  const tooWide = [2n ** 70n - 1n, -(2n ** 80n), 1e30, -1e30];
  const random = Array.from({ length: 5_000 }, (_, index) => {
    const magnitude = 2 ** randomInt(53);
    const value = randomInt(magnitude);
    return index % 2 === 0 ? value : -value;
  });
  for (const value of [...numbers, ...wide, ...bigints, ...tooWide, "12345", "-9", ...random]) {
    assertSameBytes("writeVarLong", writeVarLong as Write, original.writeVarLong as Write, value);
  }
});

Deno.test("kafkajs's own record encoding calls them, and encodes a record exactly as before", () => {
  const prototype = (Encoder as unknown as { prototype: Record<string, Write> }).prototype;
  const record = {
    offsetDelta: 300,
    timestampDelta: 70_000,
    key: "pizza",
    value: JSON.stringify({ order_id: crypto.randomUUID(), note: "é".repeat(200) }),
    headers: { "x-reason": "schema", "x-offsets": ["1", "22222"] },
  };
  const encode = () => {
    const encoded = (encodeRecord as unknown as (r: object) => EncoderInstance)(record);
    assert.ok(encoded instanceof NewEncoder, "kafkajs's records are made by the Encoder we patch");
    return [...encoded.buffer];
  };
  // Counted, to see that kafkajs's record encoder really goes through the patched prototype.
  const calls = { uvarint: 0, varlong: 0 };
  prototype.writeUVarInt = function (this: unknown, value: never) {
    calls.uvarint++;
    return (writeUVarInt as Write).call(this, value);
  };
  prototype.writeVarLong = function (this: unknown, value: never) {
    calls.varlong++;
    return (writeVarLong as Write).call(this, value);
  };
  let withOurs: number[];
  let withKafkajs: number[];
  try {
    withOurs = encode();
    prototype.writeUVarInt = original.writeUVarInt as Write;
    prototype.writeVarLong = original.writeVarLong as Write;
    withKafkajs = encode();
  } finally {
    prototype.writeUVarInt = writeUVarInt as Write;
    prototype.writeVarLong = writeVarLong as Write;
  }
  assert.ok(calls.uvarint >= 6, `record fields and headers went through ours: ${calls.uvarint}`);
  assert.equal(calls.varlong, 1, "the timestamp delta went through ours");
  assert.ok(withOurs.length > 400, `a whole record, not ${withOurs.length} bytes`);
  assert.deepEqual(withOurs, withKafkajs);
});

Deno.test("importing the module installs them on kafkajs's Encoder", () => {
  const prototype = (Encoder as unknown as { prototype: Record<string, unknown> }).prototype;
  assert.equal(prototype.writeUVarInt, writeUVarInt);
  assert.equal(prototype.writeVarLong, writeVarLong);
});
