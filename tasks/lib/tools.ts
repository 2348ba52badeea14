/** Finding the external programs the embedded broker needs, with install advice when absent. */

/** A required program is missing or too old. */
export class MissingToolError extends Error {
  override name = "MissingToolError";
}

const INSTALL_JAVA =
  "Install Java 17 or newer (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`; " +
  "macOS: `brew install openjdk@17`) or set JAVA_HOME, or set KAFKA_BOOTSTRAP_SERVERS to use a running cluster.";
const INSTALL_MAVEN =
  "Install Apache Maven (Debian/Ubuntu: `apt-get install maven`; macOS: `brew install maven`), " +
  "or set KAFKA_BOOTSTRAP_SERVERS to use a running cluster.";

/** The `java` to run: `$JAVA_HOME/bin/java` when JAVA_HOME is set, else the one on PATH. */
export function javaCommand(javaHome: string | undefined): string {
  return javaHome ? `${javaHome.replace(/\/$/, "")}/bin/java` : "java";
}

async function runQuietly(
  command: string,
  args: string[],
): Promise<Deno.CommandOutput | undefined> {
  try {
    return await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Parses the major version out of `java -version` output (`version "17.0.15"`, `"1.8.0_392"`). */
export function javaMajorVersion(versionOutput: string): number | undefined {
  const match = versionOutput.match(/version "(\d+)(?:\.(\d+))?/);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}

/** Checks that `java` (17+) runs; throws {@linkcode MissingToolError} saying what to install. */
export async function requireJava(java: string): Promise<number> {
  const output = await runQuietly(java, ["-version"]);
  if (!output?.success) throw new MissingToolError(`Cannot run "${java}". ${INSTALL_JAVA}`);
  const text = new TextDecoder().decode(output.stderr) + new TextDecoder().decode(output.stdout);
  const major = javaMajorVersion(text);
  if (major === undefined || major < 17) {
    throw new MissingToolError(
      `Found Java ${major ?? "of unknown version"}, Kafka 4 needs 17+. ${INSTALL_JAVA}`,
    );
  }
  return major;
}

/** Checks that `mvn` runs; throws {@linkcode MissingToolError} saying what to install. */
export async function requireMaven(): Promise<void> {
  const output = await runQuietly("mvn", ["--version"]);
  if (!output?.success) throw new MissingToolError(`Cannot run "mvn". ${INSTALL_MAVEN}`);
}
