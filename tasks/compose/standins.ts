/**
 * Local stand-ins for the official Kafka and Deno images, for machines that cannot pull images:
 * a Debian base made with debootstrap from the mirror apt already uses (`docker import`), a Kafka
 * image with the jars the project runs without containers, and a Deno image with the pinned
 * binary. Each has a local name of its own; none is ever tagged as an official image.
 * @module
 */
import { LOG4J2_PROPERTIES } from "../kafka/config.ts";
import { type Child, spawnChild } from "../lib/child.ts";
import { RecentLines } from "../lib/lines.ts";
import { debianMirror } from "./engine.ts";

/** The stand-ins' local names. */
export const STANDIN_IMAGES = {
  base: "campus-orders-standin/debian:bookworm",
  kafka: (version: string) => `campus-orders-standin/kafka:${version}`,
  deno: (version: string) => `campus-orders-standin/deno:${version}`,
};

const SUITE = "bookworm";
const STANDIN_DIR = new URL("./standin/", import.meta.url);
const WORK_DIR = ".data/compose";

/** The command `runLogged` is running, so that a stop request can end it first. */
export const running: { child?: Child } = {};

/** Runs a command, its output shown only when it fails; resolves with what it printed. */
export async function runLogged(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; log: (line: string) => void; echo?: boolean },
): Promise<string> {
  const recent = new RecentLines(40);
  const child = running.child = spawnChild(command, {
    args,
    env: options.env,
    graceMs: 10_000,
    onLine: (line) => {
      recent.push(line);
      if (options.echo) options.log(line);
    },
  });
  const status = await child.status;
  if (!status.success) {
    throw new Error(`${command} ${args.join(" ")} failed (exit ${status.code}):\n${recent}`);
  }
  return recent.toString();
}

async function imageExists(tag: string): Promise<boolean> {
  const output = await new Deno.Command("docker", {
    args: ["image", "inspect", "--format", "{{.Id}}", tag],
    stdout: "null",
    stderr: "null",
  }).output();
  return output.success;
}

/** The Debian mirror of apt's own sources, or undefined when apt names none for the suite. */
async function aptMirror(): Promise<string | undefined> {
  const files = ["/etc/apt/sources.list"];
  try {
    for await (const entry of Deno.readDir("/etc/apt/sources.list.d")) {
      if (/\.(list|sources)$/.test(entry.name)) files.push(`/etc/apt/sources.list.d/${entry.name}`);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  for (const file of files) {
    const text = await Deno.readTextFile(file).catch(() => "");
    const mirror = debianMirror(text, SUITE);
    if (mirror) return mirror;
  }
  return undefined;
}

/**
 * Why the stand-ins cannot be built here, one sentence each; empty when they can: the base image
 * exists, or debootstrap, root and a Debian mirror in apt's sources are there to make it.
 */
export async function missingForStandins(): Promise<string[]> {
  if (await imageExists(STANDIN_IMAGES.base)) return [];
  const missing: string[] = [];
  const debootstrap = await new Deno.Command("debootstrap", {
    args: ["--version"],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => undefined);
  if (!debootstrap?.success) missing.push("debootstrap (apt-get install debootstrap)");
  if (Deno.uid() !== 0) missing.push("root, to run debootstrap");
  if (await aptMirror() === undefined) {
    missing.push(`a Debian ${SUITE} mirror in apt's sources (/etc/apt/sources.list*)`);
  }
  return missing;
}

/**
 * The Debian base with Java 17 (for Kafka; Deno needs only the C library): debootstrap's minbase
 * variant from apt's mirror, imported once and kept.
 */
async function buildBase(log: (line: string) => void): Promise<void> {
  if (await imageExists(STANDIN_IMAGES.base)) return;
  const mirror = await aptMirror();
  if (mirror === undefined) throw new Error(`No Debian ${SUITE} mirror in apt's sources`);
  const rootfs = `${WORK_DIR}/rootfs`;
  await Deno.remove(rootfs, { recursive: true }).catch(() => {});
  await Deno.mkdir(WORK_DIR, { recursive: true });
  log(
    `Making ${STANDIN_IMAGES.base} with debootstrap (minbase, ${SUITE}, Java 17; about a minute)...`,
  );
  try {
    await runLogged("debootstrap", [
      "--variant=minbase",
      "--include=openjdk-17-jre-headless",
      SUITE,
      rootfs,
      mirror,
    ], { log });
    // tar's output straight into `docker import`.
    const tar = new Deno.Command("tar", { args: ["-C", rootfs, "-c", "."], stdout: "piped" })
      .spawn();
    const importer = new Deno.Command("docker", {
      args: ["import", "-", STANDIN_IMAGES.base],
      stdin: "piped",
      stdout: "null",
    }).spawn();
    await tar.stdout.pipeTo(importer.stdin);
    const [tarStatus, importStatus] = await Promise.all([tar.status, importer.status]);
    if (!tarStatus.success || !importStatus.success) {
      throw new Error(`Importing ${rootfs} as ${STANDIN_IMAGES.base} failed`);
    }
  } finally {
    await Deno.remove(rootfs, { recursive: true }).catch(() => {});
  }
}

/** Copies a file of tasks/compose/standin/ into a build context. */
async function copyStandinFile(name: string, context: string, as = name): Promise<void> {
  await Deno.copyFile(new URL(name, STANDIN_DIR), `${context}/${as}`);
}

/** A fresh, empty build context under .data/compose/. */
async function freshContext(name: string): Promise<string> {
  const context = `${WORK_DIR}/${name}-context`;
  await Deno.remove(context, { recursive: true }).catch(() => {});
  await Deno.mkdir(context, { recursive: true });
  return context;
}

/** `docker build` with the classic builder (no buildx plugin needed). */
async function dockerBuild(
  tag: string,
  context: string,
  dockerfile: string,
  log: (line: string) => void,
  env: Record<string, string>,
): Promise<void> {
  await runLogged("docker", [
    "build",
    "--quiet",
    "--tag",
    tag,
    "--build-arg",
    `BASE_IMAGE=${STANDIN_IMAGES.base}`,
    "--file",
    `${context}/${dockerfile}`,
    context,
  ], { env, log });
}

async function buildKafka(
  version: string,
  libsDir: string,
  log: (line: string) => void,
  env: Record<string, string>,
): Promise<string> {
  const tag = STANDIN_IMAGES.kafka(version);
  const context = await freshContext("kafka");
  await Deno.mkdir(`${context}/libs`);
  for await (const entry of Deno.readDir(libsDir)) {
    if (entry.name.endsWith(".jar")) {
      await Deno.copyFile(`${libsDir}/${entry.name}`, `${context}/libs/${entry.name}`);
    }
  }
  for (const name of ["kafka.Dockerfile", "kafka-run.sh", "kafka-broker-api-versions.sh"]) {
    await copyStandinFile(name, context);
  }
  await Deno.writeTextFile(`${context}/log4j2.properties`, LOG4J2_PROPERTIES);
  await Deno.copyFile("tasks/kafka/tools-log4j2.properties", `${context}/tools-log4j2.properties`);
  await dockerBuild(tag, context, "kafka.Dockerfile", log, env);
  return tag;
}

async function buildDeno(
  version: string,
  denoBinary: string,
  log: (line: string) => void,
  env: Record<string, string>,
): Promise<string> {
  const tag = STANDIN_IMAGES.deno(version);
  const context = await freshContext("deno");
  await Deno.copyFile(denoBinary, `${context}/deno`);
  await copyStandinFile("deno.Dockerfile", context);
  const hostCa = Deno.env.get("SSL_CERT_FILE") || "/etc/ssl/certs/ca-certificates.crt";
  await Deno.copyFile(hostCa, `${context}/host-ca.pem`);
  await dockerBuild(tag, context, "deno.Dockerfile", log, env);
  return tag;
}

/** Options of {@linkcode buildStandins}. */
export interface StandinOptions {
  kafkaVersion: string;
  kafkaLibsDir: string;
  denoVersion: string;
  denoBinary: string;
  log: (line: string) => void;
  /** For `docker build`, e.g. DOCKER_BUILDKIT=0 where the buildx plugin is missing. */
  env: Record<string, string>;
}

/** Builds (or reuses) the base and builds the Kafka and Deno stand-ins; returns their names. */
export async function buildStandins(
  options: StandinOptions,
): Promise<{ kafka: string; deno: string }> {
  await buildBase(options.log);
  const { log, env } = options;
  const kafka = await buildKafka(options.kafkaVersion, options.kafkaLibsDir, log, env);
  const deno = await buildDeno(options.denoVersion, options.denoBinary, log, env);
  await Deno.remove(`${WORK_DIR}/kafka-context`, { recursive: true }).catch(() => {});
  await Deno.remove(`${WORK_DIR}/deno-context`, { recursive: true }).catch(() => {});
  return { kafka, deno };
}
