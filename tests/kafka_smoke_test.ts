/**
 * kafkajs under Deno against the real broker: the three things every service relies on.
 * Each test works on topics and groups of its own, deleted afterwards.
 */
import assert from "node:assert/strict";
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";
import {
  connectedAdmin,
  eventually,
  kafkaClientAllowed,
  testKafka,
  uniqueTopic,
} from "./_support.ts";

async function withTopics(
  admin: Admin,
  topics: string[],
  body: () => Promise<void>,
): Promise<void> {
  await admin.createTopics({
    waitForLeaders: true,
    topics: topics.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })),
  });
  try {
    await body();
  } finally {
    await admin.deleteTopics({ topics });
  }
}

/** Reads every message of `topic` from the beginning with a throw-away group. */
async function readAll(kafka: Kafka, topic: string, expected: number): Promise<string[]> {
  const consumer = kafka.consumer({
    groupId: uniqueTopic("reader"),
    readUncommitted: false,
    maxWaitTimeInMs: FETCH_WAIT_MS,
  });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        values.push(message.value?.toString() ?? "");
        return Promise.resolve();
      },
    });
    await eventually(
      `${expected} messages on ${topic}`,
      () => values.length >= expected ? true : undefined,
      {
        lastSeen: () => values,
      },
    );
  } finally {
    await consumer.disconnect();
  }
  return values;
}

async function committedOffset(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<string | undefined> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return entry?.partitions[0]?.offset;
}

const ignore = !kafkaClientAllowed;
// A consumer's disconnect waits for its fetch in flight; the 5 s default would dominate each test.
const FETCH_WAIT_MS = 200;

Deno.test({
  name: "a consumer group commits offsets, and a restarted member resumes after them",
  ignore,
}, async () => {
  const kafka = await testKafka("smoke-group");
  await using admin = await connectedAdmin(kafka);
  const topic = uniqueTopic("smoke-group");
  const groupId = `${topic}-group`;
  await withTopics(admin, [topic], async () => {
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    try {
      const sent = await producer.send({
        topic,
        acks: -1,
        messages: ["a", "b", "c"].map((value) => ({ key: "k", value })),
      });
      assert.equal(sent[0]?.errorCode, 0);

      const first = await consumeOnce(kafka, groupId, topic, 3);
      assert.deepEqual(first, ["a", "b", "c"]);
      assert.equal(await committedOffset(admin, groupId, topic), "3");

      await producer.send({ topic, acks: -1, messages: [{ key: "k", value: "d" }] });
      const second = await consumeOnce(kafka, groupId, topic, 1);
      assert.deepEqual(
        second,
        ["d"],
        "a new member of the group starts after the committed offset",
      );
      assert.equal(await committedOffset(admin, groupId, topic), "4");
    } finally {
      await producer.disconnect();
    }
  });
  await admin.deleteGroups([groupId]);
});

/** Joins `groupId`, takes `count` messages, commits them explicitly, and leaves. */
async function consumeOnce(
  kafka: Kafka,
  groupId: string,
  topic: string,
  count: number,
): Promise<string[]> {
  const consumer: Consumer = kafka.consumer({ groupId, maxWaitTimeInMs: FETCH_WAIT_MS });
  const seen: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message, partition }) => {
        seen.push(message);
        await consumer.commitOffsets([{
          topic,
          partition,
          offset: String(Number(message.offset) + 1),
        }]);
      },
    });
    await eventually(
      `${count} messages in group ${groupId}`,
      () => seen.length >= count ? true : undefined,
      {
        lastSeen: () => seen.map((message) => message.value?.toString()),
      },
    );
  } finally {
    await consumer.disconnect();
  }
  return seen.map((message) => message.value?.toString() ?? "");
}

Deno.test({
  name:
    "a transactional consume-transform-produce with sendOffsets is exactly what read_committed sees",
  ignore,
}, async () => {
  const kafka = await testKafka("smoke-eos");
  await using admin = await connectedAdmin(kafka);
  const input = uniqueTopic("smoke-eos-in");
  const output = `${input}-out`;
  const groupId = `${input}-group`;
  await withTopics(admin, [input, output], async () => {
    const producer = kafka.producer({ idempotent: true });
    const transactional = kafka.producer({
      transactionalId: `${input}-tx`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    const consumer = kafka.consumer({
      groupId,
      readUncommitted: false,
      maxWaitTimeInMs: FETCH_WAIT_MS,
    });
    await Promise.all([producer.connect(), transactional.connect(), consumer.connect()]);
    try {
      await producer.send({
        topic: input,
        acks: -1,
        messages: ["1", "2", "3", "4", "5"].map((value) => ({ value })),
      });

      // An aborted transaction first: its message must never be seen by read_committed readers.
      const aborted = await transactional.transaction();
      await aborted.send({ topic: output, acks: -1, messages: [{ value: "aborted" }] });
      await aborted.abort();

      let transformed = 0;
      await consumer.subscribe({ topic: input, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }: EachBatchPayload) => {
          const transaction = await transactional.transaction();
          try {
            await transaction.send({
              topic: output,
              acks: -1,
              messages: batch.messages.map((message) => ({
                value: `x${message.value?.toString()}`,
              })),
            });
            await transaction.sendOffsets({
              consumerGroupId: groupId,
              topics: [{
                topic: batch.topic,
                partitions: [{
                  partition: batch.partition,
                  offset: String(Number(batch.lastOffset()) + 1),
                }],
              }],
            });
            await transaction.commit();
            transformed += batch.messages.length;
          } catch (error) {
            await transaction.abort();
            throw error;
          }
        },
      });
      await eventually("5 transformed messages", () => transformed >= 5 ? true : undefined);

      assert.deepEqual((await readAll(kafka, output, 5)).sort(), ["x1", "x2", "x3", "x4", "x5"]);
      await consumer.stop();
      assert.equal(
        await committedOffset(admin, groupId, input),
        "5",
        "offsets committed inside the transaction",
      );
    } finally {
      await Promise.all([producer.disconnect(), transactional.disconnect(), consumer.disconnect()]);
    }
  });
  await admin.deleteGroups([groupId]);
});
