/** HTTP routes of the analytics service. */
import {
  adminRefusal,
  createRouter,
  type Handler,
  json,
  operationalRoutes,
} from "@campus/shared/http";
import type { ConnectionState } from "@campus/shared/kafka";
import type { ConsumerFigures, Replay } from "./consumer.ts";
import type { DashboardData } from "./dashboard.ts";
import { DASHBOARD_HTML } from "./dashboard_page.ts";
import type { Metrics } from "./metrics.ts";
import { toPrometheus } from "./prometheus.ts";

/** What the handler needs from the consumer. */
export interface AnalyticsView {
  ready: boolean;
  metrics(): Metrics;
  figures(): ConsumerFigures;
  replay(): Replay | undefined;
  startReplay(): Promise<Replay>;
  /** Resolves when the replay is done, or when `signal` aborts. */
  waitForReplay(id: string, signal?: AbortSignal): Promise<void>;
}

/** What the handler needs from the outside world. */
export interface AnalyticsHandlerDeps {
  kafka: ConnectionState;
  analytics: AnalyticsView;
  lag: () => number;
  /** Reads the lag now instead of the last one-second sample (`GET /metrics?fresh=true`). */
  refreshLag?: () => Promise<unknown>;
  /** Longest `POST /replay?wait=true` waits before answering 504. */
  replayWaitMs?: number;
  /** Aborted when the service stops: a waiting replay request answers 503 at once. */
  stopping?: AbortSignal;
  /** What the dashboard page shows (`GET /dashboard.json`). */
  dashboard?: () => Promise<DashboardData>;
  /** ADMIN_TOKEN: lets callers off loopback use the admin routes (see `adminRefusal`). */
  adminToken?: string;
}

// The page loads nothing from elsewhere; its one inline script and style are its own.
const DASHBOARD_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "content-security-policy":
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; " +
    "connect-src 'self'; img-src data:",
};

/** Whether the client asked for Prometheus text rather than JSON. */
export function wantsPrometheus(accept: string | null): boolean {
  return /text\/plain|application\/openmetrics-text/.test(accept ?? "");
}

/** Builds the analytics service's request handler. */
export function createAnalyticsHandler(deps: AnalyticsHandlerDeps): Handler {
  const { analytics } = deps;
  const body = () => ({
    metrics: analytics.metrics(),
    operational: { ...analytics.figures(), lag: deps.lag(), replay: analytics.replay() ?? null },
  });
  return createRouter({
    ...operationalRoutes({
      service: "analytics",
      kafka: deps.kafka,
      isReady: () => analytics.ready,
      notReadyReason: "Not yet consuming inventory-events",
    }),
    "GET /": () => new Response(DASHBOARD_HTML, { headers: DASHBOARD_HEADERS }),
    "GET /dashboard.json": async () =>
      deps.dashboard
        ? json(await deps.dashboard())
        : json({ error: "No dashboard data here" }, { status: 404 }),
    "GET /metrics": async (request) => {
      if (new URL(request.url).searchParams.get("fresh") === "true") await deps.refreshLag?.();
      if (!wantsPrometheus(request.headers.get("accept"))) return json(body());
      const text = toPrometheus(analytics.metrics(), { ...analytics.figures(), lag: deps.lag() });
      return new Response(text, {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      });
    },
    "POST /replay": async (request, info) => {
      const refusal = adminRefusal(request, info, deps.adminToken);
      if (refusal) return refusal;
      const wait = new URL(request.url).searchParams.get("wait") === "true";
      const replay = await analytics.startReplay();
      if (!wait) return json({ replay_id: replay.id, status: "started", replay }, { status: 202 });
      let timer: ReturnType<typeof setTimeout> | undefined;
      let onStop: (() => void) | undefined;
      // Aborted whichever way this request ends, so a request that gave up leaves no waiter.
      const givenUp = new AbortController();
      const finished = await Promise.race([
        analytics.waitForReplay(replay.id, givenUp.signal).then(() => !givenUp.signal.aborted),
        new Promise<false>((resolve) =>
          timer = setTimeout(() => resolve(false), deps.replayWaitMs ?? 300_000)
        ),
        new Promise<"stopping">((resolve) => {
          onStop = () => resolve("stopping");
          if (deps.stopping?.aborted) onStop();
          deps.stopping?.addEventListener("abort", onStop, { once: true });
        }),
      ]).finally(() => {
        givenUp.abort();
        clearTimeout(timer);
        if (onStop) deps.stopping?.removeEventListener("abort", onStop);
      });
      if (finished === "stopping") {
        return json({ error: "The analytics service is stopping; replay again once it is back" }, {
          status: 503,
          headers: { "retry-after": "5" },
        });
      }
      if (!finished) {
        return json({
          error: "Replay still running; follow it on GET /metrics",
          replay_id: replay.id,
        }, { status: 504 });
      }
      return json({ replay_id: replay.id, status: "done", ...body() });
    },
  });
}
