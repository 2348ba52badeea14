/** Line-by-line reading of a child process's output. */

/** Calls `onLine` for every line of `stream` (without its newline); resolves at end of stream. */
export async function forEachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      onLine(pending.slice(0, newline).replace(/\r$/, ""));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf("\n");
    }
  }
  if (pending.length > 0) onLine(pending);
}

/** Keeps the last `size` lines seen, to show what a process said before it failed. */
export class RecentLines {
  #lines: string[] = [];
  constructor(readonly size: number) {}
  /** Records a line, dropping the oldest beyond `size`. */
  push(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > this.size) this.#lines.shift();
  }
  /** The kept lines, oldest first, joined by newlines. */
  toString(): string {
    return this.#lines.join("\n");
  }
}
