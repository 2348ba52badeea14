/**
 * `deno task compose:test`: runs compose.yaml for real and the four experiments against it.
 *
 * Builds the stand-in images (or, with `--official`, uses the published ones), builds the app
 * image through compose, brings the stack up on free host ports with `docker compose up --wait`,
 * runs tests/experiment_*_test.ts against those ports, and takes everything down with its volumes,
 * whatever happened. Exits 77 when the machine has no Docker engine or Compose v2.
 * @module
 */
import { parseArgs } from "node:util";
import { installKafka } from "./kafka/install.ts";
import { spawnChild } from "./lib/child.ts";
import { onStopRequest } from "./lib/entry.ts";
import { javaCommand } from "./lib/tools.ts";
import { EXIT_NO_ENGINE, missingForCompose } from "./compose/engine.ts";
import { buildStandins, runLogged, STANDIN_IMAGES } from "./compose/standins.ts";

const USAGE = `Usage: ./denow task compose:test [--official] [--help]

Runs compose.yaml with a real container engine and the four experiments against it:
  1. builds local stand-ins for the Kafka and Deno images (campus-orders-standin/*; a Debian base
     made with debootstrap, the Kafka jars from Maven, the pinned Deno), unless --official;
  2. docker compose build (the app image, FROM the Deno image, dependencies cached in it);
  3. docker compose up --wait --pull never on free ports of 127.0.0.1;
  4. deno test tests/experiment_{1,2,3,4}_*_test.ts against those ports;
  5. docker compose down --volumes, whatever happened.

  --official   use the published apache/kafka and denoland/deno images (pulled if missing)

Needs Docker's client, a running engine and Compose v2; without them it says what is missing and
exits with code ${EXIT_NO_ENGINE}. Making the stand-in base needs root and debootstrap (once).`;

const PROJECT = "campus-orders-compose-test";
const EXPERIMENTS = [
  "tests/experiment_1_latency_test.ts",
  "tests/experiment_2_throughput_test.ts",
  "tests/experiment_3_lag_test.ts",
  "tests/experiment_4_replay_test.ts",
];

function say(line: string): void {
  console.log(`compose:test | ${line}`);
}

/** What making the stand-in base image needs, if it is not made yet: debootstrap, run as root. */
async function missingForStandins(): Promise<string[]> {
  const base = await new Deno.Command("docker", {
    args: ["image", "inspect", STANDIN_IMAGES.base],
    stdout: "null",
    stderr: "null",
  }).output();
  if (base.success) return [];
  const missing: string[] = [];
  const debootstrap = await new Deno.Command("debootstrap", { args: ["--version"], stdout: "null" })
    .output().catch(() => undefined);
  if (!debootstrap?.success) {
    missing.push(
      "debootstrap, to make the stand-in Debian base image (apt-get install debootstrap), or --official",
    );
  }
  if (Deno.uid() !== 0) missing.push("root, to run debootstrap (once), or --official");
  return missing;
}

/** `count` ports that are free on 127.0.0.1 right now. */
function freePorts(count: number): number[] {
  const listeners = Array.from(
    { length: count },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  const ports = listeners.map((listener) => (listener.addr as Deno.NetAddr).port);
  for (const listener of listeners) listener.close();
  return ports;
}

async function pinnedVersions(): Promise<{ kafka: string; deno: string }> {
  const pom = await Deno.readTextFile("tasks/kafka/pom.xml");
  const kafka = pom.match(/<kafka\.version>([^<]+)</)?.[1];
  const deno = JSON.parse(await Deno.readTextFile("tools/deno/package.json")).devDependencies
    ?.deno;
  if (!kafka || !deno) throw new Error("Cannot read the pinned Kafka and Deno versions");
  return { kafka, deno };
}

/** Runs a command with its output shown; resolves with its exit status. */
async function runShown(
  command: string,
  args: string[],
  env: Record<string, string>,
  graceMs = 30_000,
): Promise<Deno.CommandStatus> {
  const child = spawnChild(command, { args, env, graceMs, onLine: (line) => console.log(line) });
  return await child.status;
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { official: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const missing = await missingForCompose();
  if (missing.length === 0 && !values.official) missing.push(...await missingForStandins());
  if (missing.length > 0) {
    console.log(
      `compose:test | not run: this machine lacks\n${missing.map((m) => `  - ${m}`).join("\n")}`,
    );
    return EXIT_NO_ENGINE;
  }

  const started = performance.now();
  const versions = await pinnedVersions();
  // Requests through published ports come from the container network's gateway, not loopback:
  // the experiments reach the admin routes (throttle, replay) with a token of this run.
  const adminToken = crypto.randomUUID();
  const env: Record<string, string> = {
    COMPOSE_PROJECT_NAME: PROJECT,
    DOCKER_BUILDKIT: "0",
    ADMIN_TOKEN: adminToken,
  };
  let pull = "missing";
  if (!values.official) {
    const install = await installKafka({
      pomPath: "tasks/kafka/pom.xml",
      cacheDir: Deno.env.get("KAFKA_CACHE_DIR") || ".cache/kafka",
      java: javaCommand(Deno.env.get("JAVA_HOME")),
      log: say,
    });
    const images = await buildStandins({
      kafkaVersion: versions.kafka,
      kafkaLibsDir: install.libsDir,
      denoVersion: versions.deno,
      denoBinary: Deno.execPath(),
      log: say,
    });
    env.KAFKA_IMAGE = images.kafka;
    env.DENO_IMAGE = images.deno;
    env.APP_IMAGE = `campus-orders-app:compose-test`;
    pull = "never";
    say(`stand-in images ready in ${seconds(started)}: ${images.kafka}, ${images.deno}`);
  }
  const [kafkaPort, producerPort, inventoryPort, analyticsPort] = freePorts(4) as [
    number,
    number,
    number,
    number,
  ];
  Object.assign(env, {
    KAFKA_HOST_PORT: String(kafkaPort),
    PRODUCER_HOST_PORT: String(producerPort),
    INVENTORY_HOST_PORT: String(inventoryPort),
    ANALYTICS_HOST_PORT: String(analyticsPort),
  });

  let down: Promise<void> | undefined;
  const takeDown = () =>
    down ??= (async () => {
      say("docker compose down --volumes");
      await runShown("docker", [
        "compose",
        "down",
        "--volumes",
        "--remove-orphans",
        "--timeout",
        "20",
      ], env)
        .then(() => {}, () => {});
    })();
  onStopRequest("compose:test", () => void takeDown().finally(() => Deno.exit(130)));

  try {
    // A run killed before it could clean up leaves its project behind: start from nothing.
    await runLogged("docker", ["compose", "down", "--volumes", "--remove-orphans"], {
      env,
      log: say,
    });
    let step = performance.now();
    say("docker compose build (the app image)");
    await runLogged("docker", ["compose", "build", "--quiet"], { env, log: say });
    say(`built in ${seconds(step)}`);

    step = performance.now();
    say(
      `docker compose up --wait --pull ${pull} (producer :${producerPort}, inventory :${inventoryPort}, analytics :${analyticsPort}, Kafka :${kafkaPort})`,
    );
    const up = await runShown("docker", [
      "compose",
      "up",
      "--detach",
      "--wait",
      "--wait-timeout",
      "240",
      "--pull",
      pull,
      "--no-build",
    ], env);
    if (!up.success) {
      await runShown("docker", ["compose", "logs", "--tail", "40"], env);
      say(`docker compose up failed (exit ${up.code})`);
      return 1;
    }
    say(`healthy in ${seconds(step)}`);

    step = performance.now();
    const tests = await runShown(Deno.execPath(), [
      "test",
      "--no-prompt",
      "--allow-net=127.0.0.1,localhost",
      "--allow-env",
      "--allow-read=.",
      ...EXPERIMENTS,
    ], {
      NO_COLOR: "1",
      KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${kafkaPort}`,
      PRODUCER_URL: `http://127.0.0.1:${producerPort}`,
      INVENTORY_URL: `http://127.0.0.1:${inventoryPort}`,
      ANALYTICS_URL: `http://127.0.0.1:${analyticsPort}`,
      ADMIN_TOKEN: adminToken,
    });
    say(`experiments ${tests.success ? "passed" : "FAILED"} in ${seconds(step)}`);
    await runShown("docker", [
      "stats",
      "--no-stream",
      "--format",
      "table {{.Name}}\t{{.MemUsage}}\t{{.CPUPerc}}",
    ], env);
    if (!tests.success) await runShown("docker", ["compose", "logs", "--tail", "40"], env);
    return tests.success ? 0 : 1;
  } finally {
    await takeDown();
    say(`done in ${seconds(started)}`);
  }
}

if (import.meta.main) Deno.exit(await main());
