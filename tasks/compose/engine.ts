/**
 * What `deno task compose:test` needs from the machine, and what to say when something is missing.
 * @module
 */

/** Exit code of `compose:test` when the machine has no usable container engine (as automake's "skip"). */
export const EXIT_NO_ENGINE = 77;

/** The output of a command, or undefined when the command does not exist. */
export type Runner = (
  command: string,
  args: string[],
) => Promise<{ ok: boolean; stdout: string } | undefined>;

/** Runs a command quietly; undefined when it is not installed. */
export async function runQuietly(
  command: string,
  args: string[],
): Promise<{ ok: boolean; stdout: string } | undefined> {
  try {
    const output = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" })
      .output();
    return { ok: output.success, stdout: new TextDecoder().decode(output.stdout).trim() };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** The major version of `docker compose version --short` ("2.40.3", "v5.1.0"). */
export function composeMajor(short: string): number | undefined {
  const major = short.trim().match(/^v?(\d+)\./)?.[1];
  return major === undefined ? undefined : Number(major);
}

/**
 * What is missing to run compose.yaml here, one sentence each; empty when Docker's client, a
 * running engine and Compose v2 (or later) are all there.
 */
export async function missingForCompose(run: Runner = runQuietly): Promise<string[]> {
  const client = await run("docker", ["version", "--format", "{{.Client.Version}}"]);
  if (client === undefined) {
    return ["the docker command (Docker's client; Debian: apt-get install docker.io)"];
  }
  const missing: string[] = [];
  const engine = await run("docker", ["info", "--format", "{{.ServerVersion}}"]);
  if (!engine?.ok || engine.stdout === "") {
    missing.push(
      "a running Docker engine (`docker info` cannot reach one: start dockerd, or the Docker service)",
    );
  }
  const compose = await run("docker", ["compose", "version", "--short"]);
  const major = compose?.ok ? composeMajor(compose.stdout) : undefined;
  if (major === undefined) {
    missing.push(
      "Docker Compose v2 (the `docker compose` plugin; Debian 12's docker-compose 1.x cannot read compose.yaml)",
    );
  } else if (major < 2) {
    missing.push(`Docker Compose v2 or later (found ${compose?.stdout})`);
  }
  return missing;
}

/**
 * The Debian mirror apt uses, from the text of `/etc/apt/sources.list` or a deb822 `.sources`
 * file, for the suite `suite`; undefined when none is named.
 */
export function debianMirror(sourcesText: string, suite: string): string | undefined {
  // One-line style: "deb [options] URI SUITE COMPONENTS..."
  for (const line of sourcesText.split("\n")) {
    const fields = line.replace(/\[[^\]]*\]/, "").trim().split(/\s+/);
    if (fields[0] === "deb" && fields[2] === suite && fields[1]) return fields[1];
  }
  // deb822 style: stanzas of "Field: value" separated by blank lines.
  for (const stanza of sourcesText.split(/\n\s*\n/)) {
    const field = (name: string) =>
      stanza.match(new RegExp(`^${name}:\\s*(.+)$`, "mi"))?.[1]?.trim().split(/\s+/) ?? [];
    if (!field("Types").includes("deb") || !field("Suites").includes(suite)) continue;
    const uri = field("URIs")[0];
    if (uri) return uri;
  }
  return undefined;
}
