/**
 * A minimal HTTP/1.1 keep-alive client for load generation: it writes prebuilt request bytes and
 * reads just enough of each response (status and Content-Length). `fetch` costs several times more
 * CPU per request, and on a 2-core machine the load generator's CPU is taken from the server it
 * measures. Both the producer and the baseline are measured with this same client.
 * @module
 */

const encoder = new TextEncoder();
const HEADER_END = [13, 10, 13, 10];

/** The bytes of a POST request with a JSON body. */
export function buildPost(host: string, path: string, body: string): Uint8Array {
  const payload = encoder.encode(body);
  const head = encoder.encode(
    `POST ${path} HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\ncontent-length: ${payload.length}\r\n\r\n`,
  );
  const bytes = new Uint8Array(head.length + payload.length);
  bytes.set(head);
  bytes.set(payload, head.length);
  return bytes;
}

/** Status and body length of a response whose head ends at `headEnd` (exclusive). */
export interface ResponseHead {
  status: number;
  contentLength: number;
  headEnd: number;
}

/** Finds and parses a complete response head in `buffer[0, length)`; undefined if incomplete. */
export function parseResponseHead(buffer: Uint8Array, length: number): ResponseHead | undefined {
  let end = -1;
  outer: for (let at = 0; at + 3 < length; at++) {
    for (let k = 0; k < 4; k++) if (buffer[at + k] !== HEADER_END[k]) continue outer;
    end = at + 4;
    break;
  }
  if (end < 0) return undefined;
  const head = new TextDecoder().decode(buffer.subarray(0, end));
  const status = Number(head.slice(9, 12));
  const match = head.match(/\r\ncontent-length:\s*(\d+)/i);
  if (!match) {
    throw new Error(
      `Response without Content-Length is not supported by the load client: ${
        head.split("\r\n")[0]
      }`,
    );
  }
  return { status, contentLength: Number(match[1]), headEnd: end };
}

/** One keep-alive connection that sends a request and waits for its response, one at a time. */
export class Http1Connection {
  #buffer = new Uint8Array(64 * 1024);
  #length = 0;

  private constructor(readonly conn: Deno.TcpConn) {}

  /** Opens a connection to `hostname:port`. */
  static async open(hostname: string, port: number): Promise<Http1Connection> {
    const conn = await Deno.connect({ hostname, port });
    conn.setNoDelay(true);
    return new Http1Connection(conn);
  }

  /** Sends `request` and resolves with the response's status once its body has arrived. */
  async send(request: Uint8Array): Promise<number> {
    return (await this.#exchange(request, false)).status;
  }

  /** Sends `request` and resolves with the response's status and its body as text. */
  async exchange(request: Uint8Array): Promise<{ status: number; body: string }> {
    return await this.#exchange(request, true);
  }

  async #exchange(
    request: Uint8Array,
    keepBody: boolean,
  ): Promise<{ status: number; body: string }> {
    let written = 0;
    while (written < request.length) written += await this.conn.write(request.subarray(written));
    while (true) {
      const head = parseResponseHead(this.#buffer, this.#length);
      if (head && this.#length >= head.headEnd + head.contentLength) {
        const used = head.headEnd + head.contentLength;
        const body = keepBody
          ? new TextDecoder().decode(this.#buffer.subarray(head.headEnd, used))
          : "";
        this.#buffer.copyWithin(0, used, this.#length);
        this.#length -= used;
        return { status: head.status, body };
      }
      if (this.#length === this.#buffer.length) {
        const bigger = new Uint8Array(this.#buffer.length * 2);
        bigger.set(this.#buffer);
        this.#buffer = bigger;
      }
      const read = await this.conn.read(this.#buffer.subarray(this.#length));
      if (read === null) throw new Error("Connection closed by the server");
      this.#length += read;
    }
  }

  /** Closes the connection. */
  close(): void {
    this.conn.close();
  }
}
