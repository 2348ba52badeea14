import assert from "node:assert/strict";
import { computeMetrics } from "./metrics.ts";
import type { Replay } from "./consumer.ts";
import { type AnalyticsView, createAnalyticsHandler, wantsPrometheus } from "./handler.ts";

function setup() {
  let replays = 0;
  const replay: Replay = {
    id: "r-1",
    state: "done",
    started_at: "2026-11-27T08:00:00.000Z",
    finished_at: "2026-11-27T08:00:01.000Z",
    target_events: 0,
    events_read: 0,
    progress_percent: 100,
  };
  const view: AnalyticsView = {
    ready: true,
    metrics: () => computeMetrics([]),
    figures: () => ({ events_consumed: 0, duplicates_ignored: 0, invalid_events: 0 }),
    replay: () => replay,
    startReplay: () => (replays++, Promise.resolve(replay)),
    waitForReplay: () => Promise.resolve(),
  };
  const handle = createAnalyticsHandler({
    kafka: { connected: true },
    analytics: view,
    lag: () => 0,
  });
  return { handle, replays: () => replays };
}

const from = (hostname: string): Deno.ServeHandlerInfo =>
  ({
    remoteAddr: { transport: "tcp", hostname, port: 40000 },
    completed: Promise.resolve(),
  }) as Deno.ServeHandlerInfo;

Deno.test("wantsPrometheus() recognises text/plain and OpenMetrics, JSON otherwise", () => {
  assert.equal(wantsPrometheus("text/plain;version=0.0.4"), true);
  assert.equal(wantsPrometheus("application/openmetrics-text; version=1.0.0"), true);
  assert.equal(wantsPrometheus("application/json"), false);
  assert.equal(wantsPrometheus(null), false);
});

Deno.test("GET /metrics keeps the metrics block apart from operational figures", async () => {
  const { handle } = setup();
  const body = await (await handle(new Request("http://local/metrics"))).json();
  assert.deepEqual(Object.keys(body), ["metrics", "operational"]);
  assert.equal(body.operational.replay.id, "r-1");
});

const replayRequest = (url: string, headers: Record<string, string> = {}) =>
  new Request(url, { method: "POST", headers: { "content-type": "application/json", ...headers } });

Deno.test("POST /replay refuses what a web page in the operator's browser can send", async () => {
  const { handle, replays } = setup();
  const bare = await handle(
    new Request("http://local/replay", { method: "POST" }),
    from("127.0.0.1"),
  );
  assert.equal(bare.status, 415);
  const foreign = await handle(
    replayRequest("http://local/replay", { origin: "http://localhost:8080" }),
    from("127.0.0.1"),
  );
  assert.equal(foreign.status, 403);
  const sameOrigin = await handle(
    replayRequest("http://local/replay", { origin: "http://local" }),
    from("127.0.0.1"),
  );
  assert.equal(sameOrigin.status, 202);
  assert.equal(replays(), 1, "only the same-origin call started a replay");
});

Deno.test("POST /replay answers 202 with the replay id to loopback callers, 403 to others", async () => {
  const { handle, replays } = setup();
  const local = await handle(
    replayRequest("http://local/replay"),
    from("127.0.0.1"),
  );
  assert.equal(local.status, 202);
  assert.equal((await local.json()).replay_id, "r-1");
  const remote = await handle(
    replayRequest("http://local/replay"),
    from("198.51.100.4"),
  );
  assert.equal(remote.status, 403);
  assert.equal(replays(), 1, "a refused call starts no replay");
});

Deno.test("POST /replay?wait=true answers 200 with the metrics once caught up", async () => {
  const { handle } = setup();
  const response = await handle(
    replayRequest("http://local/replay?wait=true"),
    from("::1"),
  );
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.equal(body.status, "done");
  assert.equal(body.metrics.total_orders, 0);
});

Deno.test("POST /replay?wait=true answers 503 at once when the service starts stopping", async () => {
  const stopping = new AbortController();
  const handle = createAnalyticsHandler({
    kafka: { connected: true },
    analytics: {
      ready: true,
      metrics: () => computeMetrics([]),
      figures: () => ({ events_consumed: 0, duplicates_ignored: 0, invalid_events: 0 }),
      replay: () => undefined,
      startReplay: () =>
        Promise.resolve({
          id: "r-2",
          state: "running",
          started_at: "2026-11-27T08:00:00.000Z",
          finished_at: null,
          target_events: 10,
          events_read: 0,
          progress_percent: 0,
        }),
      waitForReplay: () => new Promise(() => {}), // never catches up
    },
    lag: () => 0,
    stopping: stopping.signal,
  });
  const answer = handle(
    new Request("http://local/replay?wait=true", {
      method: "POST",
      headers: { "content-type": "application/json" },
    }),
    from("127.0.0.1"),
  );
  setTimeout(() => stopping.abort(), 10);
  const response = await answer;
  assert.equal(response.status, 503);
  assert.match((await response.json()).error, /stopping/);
});

Deno.test("GET / is the dashboard: one page that loads nothing from elsewhere", async () => {
  const { handle } = setup();
  const response = await handle(new Request("http://local/"), from("127.0.0.1"));
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
  assert.match(response.headers.get("content-security-policy") ?? "", /default-src 'none'/);
  const page = await response.text();
  for (const id of ["total-orders", "failed-orders", "failure-rate", "lag", "stock"]) {
    assert.match(page, new RegExp(`id="${id}"`), id);
  }
  // The only absolute URL is the SVG namespace: no CDN, no font, no remote script.
  const urls = [...page.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((match) => match[0]);
  assert.deepEqual([...new Set(urls)], ["http://www.w3.org/2000/svg"]);
  // Event text is never parsed as HTML.
  assert.doesNotMatch(page, /innerHTML|insertAdjacentHTML|document\.write/);
});

Deno.test("GET /dashboard.json answers what the dashboard is given, 404 without it", async () => {
  const data = {
    updated_at: "2026-11-27T08:00:00.000Z",
    metrics: computeMetrics([]),
    analytics: { ready: true, lag: { "0": 1 }, partitions: [0] },
    inventory: { lag: null, stock: null },
    producer: null,
  };
  const handle = createAnalyticsHandler({
    kafka: { connected: true },
    analytics: setupView(),
    lag: () => 0,
    dashboard: () => Promise.resolve(data),
  });
  const answer = await handle(new Request("http://local/dashboard.json"), from("127.0.0.1"));
  assert.deepEqual(await answer.json(), data);
  const { handle: without } = setup();
  const missing = await without(new Request("http://local/dashboard.json"), from("127.0.0.1"));
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});

function setupView(): AnalyticsView {
  return {
    ready: true,
    metrics: () => computeMetrics([]),
    figures: () => ({ events_consumed: 0, duplicates_ignored: 0, invalid_events: 0 }),
    replay: () => undefined,
    startReplay: () => Promise.reject(new Error("not in this test")),
    waitForReplay: () => Promise.resolve(),
  };
}
