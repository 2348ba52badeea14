/**
 * The baseline of `deno task load`: a bare `Deno.serve` JSON endpoint that parses the same body and
 * answers 202 without Kafka, run in a worker (its own thread) so it does not share the load
 * generator's event loop. The ratio to it shows what validation and Kafka cost.
 */
interface WorkerScope {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close(): void;
}
const scope = globalThis as unknown as WorkerScope;

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => scope.postMessage({ port }),
}, async (request) => {
  const order = await request.json();
  return Response.json({ status: "accepted", item: order.item ?? null }, { status: 202 });
});

scope.onmessage = async () => {
  await server.shutdown();
  scope.close();
};
