/**
 * Small HTTP helpers shared by the services.
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Logger } from "./log.ts";

/** A JSON response. */
export function json(body: unknown, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(body), { ...init, headers });
}

/** Options for {@linkcode serveHttp}. */
export interface ServeOptions {
  hostname: string;
  port: number;
  logger: Logger;
}

/** Starts `Deno.serve` quietly and logs one JSON line with the address it listens on. */
export function serveHttp(handler: Handler, options: ServeOptions): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({
    hostname: options.hostname,
    port: options.port,
    onListen: ({ hostname, port }) => {
      options.logger.info("listening", { url: `http://${hostname}:${port}` });
    },
    onError: (error) => {
      options.logger.error("request failed", { error });
      return json({ error: "Internal server error" }, { status: 500 });
    },
  }, handler);
}

/** The liveness answer every service gives on `GET /health`: 200 while the process runs. */
export function healthResponse(service: string, kafka: { connected: boolean }): Response {
  return json({ status: "ok", service, kafka: kafka.connected ? "connected" : "disconnected" });
}

/** Options of {@linkcode operationalRoutes}. */
export interface OperationalOptions {
  service: string;
  kafka: { connected: boolean };
  /** Whether the service does its job now (GET /ready answers 200). */
  isReady: () => boolean;
  /** Why it does not, for the 503 body. */
  notReadyReason: string;
  /** More of the 200 body of GET /ready. */
  readyDetails?: () => Record<string, unknown>;
  /** More of the 503 body of GET /ready (what an operator needs while it is not ready). */
  notReadyDetails?: () => Record<string, unknown>;
  /** A Prometheus registry: served as GET /metrics. */
  registry?: { metrics(): Promise<string>; readonly contentType: string };
}

/**
 * The routes every service answers the same way: `GET /health` (200 while the process runs),
 * `GET /ready` (200 only while it does its job, else 503 with Retry-After and the reason) and,
 * with a registry, `GET /metrics` as Prometheus text.
 */
export function operationalRoutes(options: OperationalOptions): Record<string, Handler> {
  const routes: Record<string, Handler> = {
    "GET /health": () => healthResponse(options.service, options.kafka),
    "GET /ready": () =>
      options.isReady()
        ? json({ status: "ready", ...options.readyDetails?.() })
        : json({ error: options.notReadyReason, ...options.notReadyDetails?.() }, {
          status: 503,
          headers: { "retry-after": "1" },
        }),
  };
  const { registry } = options;
  if (registry) {
    routes["GET /metrics"] = async () =>
      new Response(await registry.metrics(), { headers: { "content-type": registry.contentType } });
  }
  return routes;
}

/** A request handler, as `Deno.serve` takes it. */
export type Handler = (
  request: Request,
  info?: Deno.ServeHandlerInfo,
) => Response | Promise<Response>;

/** Whether a request came over loopback, for routes that only the machine's own users may call. */
export function isLoopback(info: Deno.ServeHandlerInfo | undefined): boolean {
  const address = info?.remoteAddr;
  if (!address || address.transport !== "tcp") return false;
  return address.hostname === "::1" || address.hostname.startsWith("127.") ||
    address.hostname === "::ffff:127.0.0.1";
}

/** 403 for a local-only route called from elsewhere. */
export function localOnly(): Response {
  return json({
    error:
      "This route only answers requests from the same machine (loopback), or with the service's ADMIN_TOKEN as `Authorization: Bearer <token>`",
  }, { status: 403 });
}

/** The token of an `Authorization: Bearer <token>` header, or undefined without one. */
function bearerToken(header: string | null): string | undefined {
  return header?.match(/^\s*Bearer\s+(\S+)\s*$/i)?.[1] ?? (header === null ? undefined : "");
}

/** Compares two secrets in time that does not depend on where they differ. */
function sameSecret(presented: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * Why an operator route (one that changes how the system runs) refuses `request`, or undefined
 * when it may proceed. Such routes answer loopback callers only, and never a web page: a page open
 * in the operator's browser runs on the same machine, so loopback alone does not stop it. Pages can
 * send JSON only after a CORS preflight, which these services never approve, and a browser names
 * the page's origin in `Origin`; so a JSON content type is required and a foreign origin refused.
 *
 * With `adminToken` set (ADMIN_TOKEN), a caller anywhere that presents it as a bearer token may
 * proceed too: in containers every request through a published port comes from the container
 * network's gateway, never from loopback. A request that presents a token is judged by it alone,
 * so a wrong one is refused even over loopback.
 */
export function adminRefusal(
  request: Request,
  info: Deno.ServeHandlerInfo | undefined,
  adminToken?: string,
): Response | undefined {
  const presented = bearerToken(request.headers.get("authorization"));
  const expected = adminToken === "" ? undefined : adminToken;
  if (presented !== undefined) {
    if (expected === undefined || presented === "" || !sameSecret(presented, expected)) {
      return json({
        error: expected === undefined
          ? "This service has no ADMIN_TOKEN: its admin routes answer loopback callers without an Authorization header"
          : "Wrong admin token in the Authorization header",
      }, { status: 403 });
    }
  } else if (!isLoopback(info)) return localOnly();
  const origin = request.headers.get("origin");
  if (origin !== null && origin !== new URL(request.url).origin) {
    return json({
      error: `Admin routes refuse requests from web pages of other origins (${origin})`,
    }, {
      status: 403,
    });
  }
  const type = request.headers.get("content-type") ?? "";
  if (type.split(";")[0]?.trim().toLowerCase() !== "application/json") {
    return json({
      error: `Admin routes accept only Content-Type: application/json, got ${
        type ? `"${type}"` : "none"
      }`,
    }, { status: 415, headers: { accept: "application/json" } });
  }
  return undefined;
}

/**
 * Routes `"METHOD /path"` keys to handlers. Anything else gets 404, or 405 with `Allow` when the
 * path exists for other methods, as HTTP says.
 *
 * @example
 * ```ts
 * const handle = createRouter({ "GET /health": () => json({ status: "ok" }) });
 * ```
 */
export function createRouter(routes: Readonly<Record<string, Handler>>): Handler {
  const methodsByPath = new Map<string, string[]>();
  for (const key of Object.keys(routes)) {
    const [method = "", path = ""] = key.split(" ");
    methodsByPath.set(path, [...(methodsByPath.get(path) ?? []), method]);
  }
  return (request, info) => {
    const path = new URL(request.url).pathname;
    const route = routes[`${request.method} ${path}`];
    if (route) return route(request, info);
    const allowed = methodsByPath.get(path);
    if (allowed) {
      return json(
        { error: `Method ${request.method} is not allowed on ${path}; use ${allowed.join(", ")}` },
        { status: 405, headers: { allow: allowed.join(", ") } },
      );
    }
    return json({ error: `Not found: ${path}` }, { status: 404 });
  };
}
