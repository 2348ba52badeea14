/** Prefixed, optionally coloured output of several processes on one terminal. */

const COLORS = [36, 33, 35, 32, 34, 31]; // cyan, yellow, magenta, green, blue, red

/** Whether to colour: stdout is a terminal and NO_COLOR is not set. */
export function useColor(): boolean {
  return Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR");
}

/**
 * Writes each line as `name | line`, names padded to one width, each name its own colour. Once
 * stdout cannot be written, lines are dropped instead of thrown.
 */
export function createPrefixer(
  names: readonly string[],
  color: boolean,
): (name: string, line: string) => void {
  const width = Math.max(...names.map((name) => name.length));
  const encoder = new TextEncoder();
  let closed = false;
  return (name, line) => {
    const index = Math.max(0, names.indexOf(name));
    const label = name.padEnd(width);
    const prefix = color ? `\x1b[${COLORS[index % COLORS.length]}m${label} |\x1b[0m` : `${label} |`;
    if (closed) return;
    try {
      Deno.stdout.writeSync(encoder.encode(`${prefix} ${line}\n`));
    } catch {
      // The terminal is gone (EIO after SIGHUP) or the reader left (EPIPE): nobody can read any
      // more, and a supervisor must go on stopping its children rather than crash on a log line.
      closed = true;
    }
  };
}
