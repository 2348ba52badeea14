/** The running stack: every service healthy and connected, every topic created as specified. */
import assert from "node:assert/strict";
import { TOPICS } from "@campus/shared/topics";
import { connectedAdmin, eventually, kafkaClientAllowed, stack, testKafka } from "./_support.ts";

const services = [
  ["producer", stack.producerUrl],
  ["inventory", stack.inventoryUrl],
  ["analytics", stack.analyticsUrl],
] as const;

for (const [service, url] of services) {
  Deno.test(`${service} answers GET /health with 200 JSON and reports its Kafka connection`, async () => {
    const body = await eventually(`${service} to report kafka connected`, async () => {
      const response = await fetch(`${url}/health`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
      const body = await response.json();
      return body.kafka === "connected" ? body : undefined;
    });
    assert.deepEqual(body, { status: "ok", service, kafka: "connected" });
  });

  Deno.test(`${service} answers 404 with a JSON error naming an unknown path`, async () => {
    const response = await fetch(`${url}/no-such-path`);
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), { error: "Not found: /no-such-path" });
  });
}

Deno.test({
  name: "every topic in shared/topics.ts exists with its partition count and settings",
  ignore: !kafkaClientAllowed,
}, async () => {
  await using admin = await connectedAdmin(await testKafka("stack-test"));
  const metadata = await admin.fetchTopicMetadata({ topics: TOPICS.map((topic) => topic.name) });
  for (const topic of TOPICS) {
    const found = metadata.topics.find((entry) => entry.name === topic.name);
    assert.ok(found, `topic ${topic.name} is missing`);
    assert.equal(found.partitions.length, topic.partitions, `partitions of ${topic.name}`);
  }
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: TOPICS.map((topic) => ({ type: 2, /* TOPIC */ name: topic.name })),
  });
  for (const topic of TOPICS) {
    const resource = configs.resources.find((entry) => entry.resourceName === topic.name);
    for (const [name, value] of Object.entries(topic.config)) {
      const entry = resource?.configEntries.find((config) => config.configName === name);
      assert.equal(entry?.configValue, value, `${name} of ${topic.name}`);
    }
  }
});
