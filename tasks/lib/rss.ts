/** Resident memory of the process listening on a port, read with `ss` and `ps`. */

/** The pid of the process listening on 127.0.0.1:`port`, or undefined if none is. */
export async function pidOfListener(port: number): Promise<number | undefined> {
  const ss = await new Deno.Command("ss", {
    args: ["-Htlnp", `sport = :${port}`],
    stdout: "piped",
    stderr: "null",
  }).output();
  const pid = /pid=(\d+)/.exec(new TextDecoder().decode(ss.stdout))?.[1];
  return pid === undefined ? undefined : Number(pid);
}

/** RSS in MiB of the process listening on 127.0.0.1:`port`, or undefined if none is. */
export async function rssOfListener(port: number): Promise<number | undefined> {
  const pid = await pidOfListener(port);
  if (pid === undefined) return undefined;
  const ps = await new Deno.Command("ps", {
    args: ["-o", "rss=", "-p", String(pid)],
    stdout: "piped",
    stderr: "null",
  }).output();
  const kib = Number(new TextDecoder().decode(ps.stdout).trim());
  return Number.isFinite(kib) && kib > 0 ? Math.round(kib / 1024) : undefined;
}
