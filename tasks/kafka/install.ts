/**
 * Resolves Apache Kafka's jars from Maven Central into an ignored cache, once.
 * @module
 */
import { resolve } from "node:path";
import { spawnChild } from "../lib/child.ts";
import { RecentLines } from "../lib/lines.ts";
import { requireJava, requireMaven } from "../lib/tools.ts";

/** Where the broker's jars are. */
export interface KafkaInstall {
  version: string;
  libsDir: string;
}

/** Options for {@linkcode installKafka}. */
export interface InstallOptions {
  /** The pom naming the broker's artifacts. */
  pomPath: string;
  /** Folder the jars are kept in across runs. */
  cacheDir: string;
  java: string;
  /** Progress and problems, one line at a time. */
  log: (line: string) => void;
  /** Aborting stops Maven (the install then rejects). */
  signal?: AbortSignal;
}

/** Reads the Kafka version the pom pins. */
export function kafkaVersionOf(pom: string): string {
  const version = pom.match(/<kafka\.version>([^<]+)<\/kafka\.version>/)?.[1];
  if (!version) throw new Error("Cannot find <kafka.version> in the Kafka pom");
  return version;
}

/** SLF4J bindings among jar names; exactly one must be present or the broker logs nothing. */
export function slf4jBindings(jarNames: readonly string[]): string[] {
  return jarNames.filter((name) =>
    /^(log4j-slf4j2?-impl|slf4j-reload4j|slf4j-log4j12|slf4j-simple|slf4j-jdk14|slf4j-nop|logback-classic)-/
      .test(name)
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function shortHash(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(
    new Uint8Array(digest).slice(0, 6),
    (byte) => byte.toString(16).padStart(2, "0"),
  )
    .join("");
}

/**
 * Returns the cached jars for the pom, downloading them with Maven first if needed.
 * The cache folder is named by the pom's hash, so editing the pom fetches afresh.
 */
export async function installKafka(options: InstallOptions): Promise<KafkaInstall> {
  const pom = await Deno.readTextFile(options.pomPath);
  const version = kafkaVersionOf(pom);
  // Absolute, because Maven resolves relative paths against the pom's folder.
  const home = resolve(options.cacheDir, `kafka-${version}-${await shortHash(pom)}`);
  const libsDir = `${home}/libs`;
  const stamp = `${home}/complete`;
  if (await exists(stamp)) return { version, libsDir };

  await requireJava(options.java);
  await requireMaven();
  options.log(`Fetching Apache Kafka ${version} with Maven (first run only; about 45 MB)...`);
  // A folder of this process's own: `up` and `deno task kafka` may both fetch on a first run.
  const partial = `${home}/libs.partial-${Deno.pid}`;
  await Deno.remove(partial, { recursive: true }).catch(() => {});
  await Deno.mkdir(home, { recursive: true });

  const recent = new RecentLines(30);
  let downloaded = 0;
  // Behind a lifeline like every child: a supervisor killed mid-download leaves no Maven behind.
  const maven = spawnChild("mvn", {
    args: [
      "-B",
      "-f",
      options.pomPath,
      "dependency:copy-dependencies",
      "-DincludeScope=runtime",
      `-DoutputDirectory=${partial}`,
    ],
    onLine: (line) => {
      recent.push(line);
      // "Downloaded from central: https://.../kafka_2.13-4.4.0.jar (6.5 MB at 12 MB/s)"
      const done = line.match(
        /Downloaded from [^:]+: \S+\/([^/\s]+\.jar) \(([^)]*?)(?: at [^)]*)?\)/,
      );
      if (done) {
        options.log(`  downloaded ${String(++downloaded).padStart(3)}: ${done[1]} (${done[2]})`);
      }
    },
    graceMs: 5_000,
  });
  const stopMaven = () => void maven.stop();
  options.signal?.addEventListener("abort", stopMaven, { once: true });
  const status = await maven.status.finally(() =>
    options.signal?.removeEventListener("abort", stopMaven)
  );
  options.signal?.throwIfAborted();
  if (!status.success) {
    throw new Error(`Maven could not fetch Kafka ${version} (exit ${status.code}):\n${recent}`);
  }

  const jars: string[] = [];
  for await (const entry of Deno.readDir(partial)) jars.push(entry.name);
  const bindings = slf4jBindings(jars);
  if (bindings.length !== 1) {
    throw new Error(
      `Expected exactly one SLF4J binding among Kafka's jars, found: ${bindings.join(", ")}`,
    );
  }
  if (await exists(stamp)) {
    // Another process finished first: its jars are the same; keep them.
    await Deno.remove(partial, { recursive: true }).catch(() => {});
    return { version, libsDir };
  }
  await Deno.remove(libsDir, { recursive: true }).catch(() => {});
  await Deno.rename(partial, libsDir);
  await Deno.writeTextFile(stamp, `${jars.length} jars\n`);
  options.log(`Apache Kafka ${version} is ready (${jars.length} jars in ${libsDir}).`);
  return { version, libsDir };
}
