import assert from "node:assert/strict";
import { buildPost, parseResponseHead } from "./http1.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("buildPost() writes a complete HTTP/1.1 request with the body's byte length", () => {
  const request = new TextDecoder().decode(
    buildPost("127.0.0.1:5001", "/order", '{"item":"crème"}'),
  );
  assert.equal(
    request,
    'POST /order HTTP/1.1\r\nhost: 127.0.0.1:5001\r\ncontent-type: application/json\r\ncontent-length: 17\r\n\r\n{"item":"crème"}',
  );
});

Deno.test("parseResponseHead() reads status and Content-Length once the head is complete", () => {
  const response = bytes(
    "HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\nContent-Length: 2\r\n\r\n{}",
  );
  assert.equal(parseResponseHead(response, 20), undefined);
  assert.deepEqual(parseResponseHead(response, response.length), {
    status: 202,
    contentLength: 2,
    headEnd: response.length - 2,
  });
});

Deno.test("parseResponseHead() refuses responses it cannot frame", () => {
  const chunked = bytes("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
  assert.throws(() => parseResponseHead(chunked, chunked.length), /without Content-Length/);
});
