/**
 * `deno task compose:test`: runs compose.yaml for real and the four experiments against it.
 *
 * Builds the stand-in images (or uses the published ones), builds the app image through compose,
 * brings the stack up on free host ports with `docker compose up --wait`, runs
 * tests/experiment_*_test.ts against those ports, and takes everything down with its volumes,
 * whatever happened. Exits 77 when the machine has no Docker engine or Compose v2.
 * @module
 */
import { parseArgs } from "node:util";
import { installKafka } from "./kafka/install.ts";
import { type Child, spawnChild } from "./lib/child.ts";
import { onStopRequest } from "./lib/entry.ts";
import { javaCommand } from "./lib/tools.ts";
import { EXIT_NO_ENGINE, missingForCompose, runQuietly } from "./compose/engine.ts";
import { buildStandins, missingForStandins, runLogged, running } from "./compose/standins.ts";

const USAGE = `Usage: ./denow task compose:test [--images auto|standin|official] [--help]

Runs compose.yaml with a real container engine and the four experiments against it:
  1. builds local stand-ins for the Kafka and Deno images (campus-orders-standin/*: a Debian base
     made with debootstrap, the Kafka jars from Maven, the pinned Deno), or uses the official ones;
  2. docker compose build (the app image, FROM the Deno image, dependencies cached in it);
  3. docker compose up --wait on free ports of 127.0.0.1 (--pull never with stand-ins);
  4. deno test tests/experiment_{1,2,3,4}_*_test.ts against those ports;
  5. docker compose down --volumes, whatever happened (also on Ctrl-C and after 20 minutes).

  --images standin    the stand-ins (needs root, debootstrap and a Debian mirror in apt's sources
                      the first time, to make their base)
  --images official   the published apache/kafka and denoland/deno images, pulled if missing
  --images auto       stand-ins where they can be made or exist, else official (the default)

Needs Docker's client, a running engine and Compose v2; without them it says what is missing and
exits with code ${EXIT_NO_ENGINE}.`;

const PROJECT = "campus-orders-compose-test";
const EXPERIMENTS = [
  "tests/experiment_1_latency_test.ts",
  "tests/experiment_2_throughput_test.ts",
  "tests/experiment_3_lag_test.ts",
  "tests/experiment_4_replay_test.ts",
];
/** The whole run, images included, ends by then (CI has a time limit of its own). */
const DEADLINE_MS = 20 * 60_000;

function say(line: string): void {
  console.log(`compose:test | ${line}`);
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
): Promise<Deno.CommandStatus> {
  const child: Child = running.child = spawnChild(command, {
    args,
    env,
    graceMs: 30_000,
    onLine: (line) => console.log(line),
  });
  return await child.status;
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

/** Which images to run: stand-ins where they can be made, else the published ones. */
async function chooseImages(asked: string): Promise<"standin" | "official"> {
  if (asked === "official") return "official";
  const missing = await missingForStandins();
  if (missing.length === 0) return "standin";
  if (asked === "standin") {
    throw new Error(`Cannot make the stand-in images here; missing: ${missing.join("; ")}`);
  }
  say(`stand-ins cannot be made here (missing: ${missing.join("; ")}): using the official images`);
  return "official";
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      images: { type: "string", default: "auto" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!["auto", "standin", "official"].includes(values.images)) {
    console.error(`--images must be auto, standin or official, not "${values.images}"\n\n${USAGE}`);
    return 2;
  }
  const missing = await missingForCompose();
  if (missing.length > 0) {
    say(`not run: this machine lacks\n${missing.map((line) => `  - ${line}`).join("\n")}`);
    return EXIT_NO_ENGINE;
  }

  const started = performance.now();
  const versions = await pinnedVersions();
  // Requests through published ports come from the container network's gateway, not loopback:
  // the experiments reach the admin routes (throttle, replay) with a token of this run.
  const adminToken = crypto.randomUUID();
  // Everything compose reads is set here, so a user's shell (COMPOSE_FILE, KAFKA_IMAGE, ...)
  // cannot change what is tested.
  const env: Record<string, string> = {
    COMPOSE_PROJECT_NAME: PROJECT,
    COMPOSE_FILE: "compose.yaml",
    COMPOSE_PROFILES: "",
    ADMIN_TOKEN: adminToken,
    KAFKA_IMAGE: `apache/kafka:${versions.kafka}`,
    DENO_IMAGE: `denoland/deno:${versions.deno}`,
    APP_IMAGE: "campus-orders-app:compose-test",
  };
  // Without the buildx plugin, the classic builder (compose falls back to it too).
  if (!(await runQuietly("docker", ["buildx", "version"]))?.ok) env.DOCKER_BUILDKIT = "0";

  let down: Promise<boolean> | undefined;
  const takeDown = () =>
    down ??= (async () => {
      await running.child?.stop();
      say("docker compose down --volumes");
      const status = await runShown("docker", [
        "compose",
        "down",
        "--volumes",
        "--remove-orphans",
        "--timeout",
        "20",
      ], env);
      if (!status.success) say(`docker compose down FAILED (exit ${status.code})`);
      return status.success;
    })();
  onStopRequest("compose:test", () => void takeDown().finally(() => Deno.exit(130)));
  const deadline = setTimeout(() => {
    say(`FAILED: still running after ${DEADLINE_MS / 60_000} minutes`);
    void takeDown().finally(() => Deno.exit(1));
  }, DEADLINE_MS);

  try {
    const images = await chooseImages(values.images);
    if (images === "standin") {
      if (Deno.version.deno !== versions.deno) {
        throw new Error(
          `The Deno stand-in carries the running Deno (${Deno.version.deno}), not the pinned ${versions.deno}: run ./denow task compose:test`,
        );
      }
      const install = await installKafka({
        pomPath: "tasks/kafka/pom.xml",
        cacheDir: Deno.env.get("KAFKA_CACHE_DIR") || ".cache/kafka",
        java: javaCommand(Deno.env.get("JAVA_HOME")),
        log: say,
      });
      const standins = await buildStandins({
        kafkaVersion: versions.kafka,
        kafkaLibsDir: install.libsDir,
        denoVersion: versions.deno,
        denoBinary: Deno.execPath(),
        log: say,
        env,
      });
      env.KAFKA_IMAGE = standins.kafka;
      env.DENO_IMAGE = standins.deno;
      say(`stand-in images ready in ${seconds(started)}: ${standins.kafka}, ${standins.deno}`);
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

    // A run killed before it could clean up leaves its project behind: start from nothing.
    await runLogged("docker", ["compose", "down", "--volumes", "--remove-orphans"], {
      env,
      log: say,
    });
    let step = performance.now();
    say(`docker compose build (the app image, FROM ${env.DENO_IMAGE})`);
    await runLogged("docker", ["compose", "build", "--quiet"], { env, log: say });
    say(`built in ${seconds(step)}`);

    step = performance.now();
    const pull = images === "standin" ? "never" : "missing";
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
  } catch (error) {
    say(`FAILED: ${error instanceof Error ? error.message : error}`);
    return 1;
  } finally {
    const clean = await takeDown();
    clearTimeout(deadline);
    say(`done in ${seconds(started)}${clean ? "" : " (NOT cleaned up: see above)"}`);
    if (!clean) Deno.exitCode = 1;
  }
}

if (import.meta.main) {
  const code = await main();
  Deno.exit(code === 0 ? Deno.exitCode : code);
}
