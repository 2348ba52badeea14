/**
 * Reading a JSON request body safely: content type, size limit (checked while streaming, not only
 * from Content-Length), and parse errors each get their own status and a message naming the problem.
 * @module
 */
import { json } from "./http.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A body that could not be read, as the response to send. */
export type BodyResult = { ok: true; value: unknown } | { ok: false; response: Response };

function problem(
  status: number,
  error: string,
  headers?: HeadersInit,
): { ok: false; response: Response } {
  return { ok: false, response: json({ error }, { status, headers }) };
}

/** Reads and parses a JSON body of at most `limitBytes`. */
export async function readJsonBody(request: Request, limitBytes: number): Promise<BodyResult> {
  const type = request.headers.get("content-type") ?? "";
  const mediaType = type.split(";")[0]?.trim().toLowerCase() ?? "";
  if (mediaType !== "application/json" && !/^application\/[a-z0-9.+-]*\+json$/.test(mediaType)) {
    return problem(
      415,
      `Content-Type must be application/json, got ${type ? `"${type}"` : "none"}`,
      { accept: "application/json" },
    );
  }
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > limitBytes) {
    return problem(413, `Body must be at most ${limitBytes} bytes, got ${declared}`);
  }

  // With a declared length the server already enforces it, so one read suffices; without one
  // (chunked), count while streaming and stop at the limit.
  const bytes = Number.isFinite(declared)
    ? await request.bytes()
    : await readAtMost(request, limitBytes);
  if (bytes === undefined) return problem(413, `Body must be at most ${limitBytes} bytes`);
  if (bytes.length === 0) return problem(400, "Body is empty; send a JSON object");
  try {
    return { ok: true, value: JSON.parse(utf8.decode(bytes)) };
  } catch (error) {
    const reason = error instanceof TypeError ? "it is not valid UTF-8" : (error as Error).message;
    return problem(400, `Body is not valid JSON: ${reason}`);
  }
}

/** The body's bytes, or undefined as soon as it grows past `limitBytes`. */
async function readAtMost(request: Request, limitBytes: number): Promise<Uint8Array | undefined> {
  if (!request.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limitBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}
