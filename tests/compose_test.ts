/**
 * compose.yaml checked statically against the project: the same scripts, permissions, ports and
 * pinned versions as `deno task up` uses, and the settings that only show when it runs (health
 * check timing, movable ports, replaceable images). `deno task compose:test` runs it for real.
 */
import assert from "node:assert/strict";
import { SERVICES as SERVICE_REGISTRY } from "@campus/shared/services";
import { granted } from "./_support.ts";

// The yaml package reads LOG_TOKENS and LOG_STREAM from the environment when it loads.
const ignore = !granted({ name: "read", path: "." }) ||
  !["LOG_TOKENS", "LOG_STREAM"].every((variable) => granted({ name: "env", variable }));
const SERVICES = SERVICE_REGISTRY.map((service) => ({
  name: service.name,
  portKey: service.portVariable,
  port: service.defaultPort,
}));

interface ComposeService {
  image: string;
  build?: { context: string; args?: Record<string, string> };
  command: string;
  environment: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number };
}

const HOST_PORT_VARIABLES: Record<string, string> = {
  producer: "PRODUCER_HOST_PORT",
  inventory: "INVENTORY_HOST_PORT",
  analytics: "ANALYTICS_HOST_PORT",
};

async function load() {
  const { parse } = await import("yaml");
  const compose = parse(await Deno.readTextFile("compose.yaml"), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const denoJson = JSON.parse(await Deno.readTextFile("deno.json")) as {
    tasks: Record<string, { command: string }>;
  };
  return { services: compose.services, tasks: denoJson.tasks };
}

/** The value of `--flag=` in a command line, split on commas. */
function flagValues(command: string, flag: string): string[] {
  const match = command.match(new RegExp(`${flag}=(\\S+)`));
  return match?.[1]?.split(",") ?? [];
}

function scriptOf(command: string): string | undefined {
  return command.trim().split(/\s+/).at(-1);
}

for (const { name, portKey, port } of SERVICES) {
  Deno.test({
    name: `compose runs ${name} like its deno task, listening on ${port} for the host`,
    ignore,
  }, async () => {
    const { services, tasks } = await load();
    const service = services[name];
    const task = tasks[name];
    assert.ok(service, `compose has no service ${name}`);
    assert.ok(task, `deno.json has no task ${name}`);
    assert.equal(scriptOf(service.command), scriptOf(task.command), "same entry point");
    await Deno.stat(scriptOf(service.command) ?? "");
    assert.deepEqual(
      flagValues(service.command, "--allow-env").sort(),
      flagValues(task.command, "--allow-env").sort(),
      "same environment permissions",
    );
    // Analytics' dashboard also reads inventory's and the producer's HTTP APIs, by compose name.
    assert.deepEqual(flagValues(service.command, "--allow-net").sort(), [
      `0.0.0.0:${port}`,
      ...(name === "analytics" ? ["inventory:5002"] : []),
      "kafka:9092",
      ...(name === "analytics" ? ["producer:5001"] : []),
    ]);
    if (name === "analytics") {
      assert.equal(service.environment.DASHBOARD_INVENTORY_URL, "http://inventory:5002");
      assert.equal(service.environment.DASHBOARD_PRODUCER_URL, "http://producer:5001");
    }
    assert.equal(service.environment[portKey], port);
    assert.equal(service.environment.HOST, "0.0.0.0");
    assert.equal(service.environment.KAFKA_BOOTSTRAP_SERVERS, "kafka:9092");
    // Published on the host's loopback only, on a port a variable can move.
    assert.deepEqual(service.ports, [
      `127.0.0.1:\${${HOST_PORT_VARIABLES[name]}:-${port}}:${port}`,
    ]);
    assert.equal(service.depends_on?.topics?.condition, "service_completed_successfully");
    assert.match(
      service.healthcheck?.test.join(" ") ?? "",
      new RegExp(`127\\.0\\.0\\.1:${port}/health`),
    );
    // Its own timing, not Docker's 30 s default (a merge that replaced the whole block lost it).
    assert.equal(service.healthcheck?.interval, "2s");
    assert.equal(service.healthcheck?.timeout, "5s");
    assert.equal(service.healthcheck?.retries, 30);
    // Runs the code and dependencies baked into the app image: nothing mounted, nothing fetched
    // (the producer's outbox has a volume of its own, where its task writes: .data).
    assert.deepEqual(
      service.volumes,
      name === "producer" ? ["producer-outbox:/app/.data"] : undefined,
    );
    assert.match(service.command, /^deno run --cached-only /);
    assert.doesNotMatch(service.command, /(^|\s)(-A|--allow-all)(\s|$)/);
  });
}

Deno.test({
  name: "compose pins the Kafka and Deno versions the project runs without containers, replaceably",
  ignore,
}, async () => {
  const { services } = await load();
  const pom = await Deno.readTextFile("tasks/kafka/pom.xml");
  const kafkaVersion = pom.match(/<kafka\.version>([^<]+)</)?.[1];
  const denoPin =
    JSON.parse(await Deno.readTextFile("tools/deno/package.json")).devDependencies.deno;
  assert.equal(services.kafka?.image, `\${KAFKA_IMAGE:-apache/kafka:${kafkaVersion}}`);
  for (const name of ["topics", ...SERVICES.map((service) => service.name)]) {
    const service = services[name];
    assert.equal(service?.image, "${APP_IMAGE:-campus-orders-app:latest}", `image of ${name}`);
    assert.equal(service?.build?.context, ".");
    assert.equal(service?.build?.args?.DENO_IMAGE, `\${DENO_IMAGE:-denoland/deno:${denoPin}}`);
  }
  // The Dockerfile's own default base is the same pin, for `docker build .` without compose.
  const dockerfile = await Deno.readTextFile("Dockerfile");
  assert.match(dockerfile, new RegExp(`^ARG DENO_IMAGE=denoland/deno:${denoPin}$`, "m"));
  assert.match(dockerfile, /^RUN deno cache --frozen /m);
});

Deno.test({
  name: "compose publishes Kafka for host clients on a movable port, with its health check timed",
  ignore,
}, async () => {
  const { services } = await load();
  const kafka = services.kafka;
  assert.deepEqual(kafka?.ports, ["127.0.0.1:${KAFKA_HOST_PORT:-9092}:29092"]);
  assert.match(
    String(kafka?.environment.KAFKA_ADVERTISED_LISTENERS),
    /PLAINTEXT:\/\/kafka:9092,HOST:\/\/127\.0\.0\.1:\$\{KAFKA_HOST_PORT:-9092\}/,
  );
  assert.equal(kafka?.healthcheck?.interval, "3s");
  assert.ok((kafka?.healthcheck?.retries ?? 0) >= 20);
});

Deno.test({
  name: "compose passes ADMIN_TOKEN to the services with admin routes",
  ignore,
}, async () => {
  const { services } = await load();
  for (const name of ["inventory", "analytics"]) {
    assert.equal(services[name]?.environment.ADMIN_TOKEN, "${ADMIN_TOKEN:-}", name);
  }
});

Deno.test({
  name: "compose creates the topics with the project's script once Kafka is healthy",
  ignore,
}, async () => {
  const { services } = await load();
  const topics = services.topics;
  assert.ok(topics);
  assert.equal(scriptOf(topics.command), "tasks/create_topics.ts");
  assert.equal(topics.depends_on?.kafka?.condition, "service_healthy");
  assert.equal(services.kafka?.environment.KAFKA_AUTO_CREATE_TOPICS_ENABLE, "false");
  assert.equal(services.kafka?.environment.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR, 1);
});
