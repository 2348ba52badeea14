/**
 * Headless Chromium driven over the DevTools protocol (a WebSocket, no library): open a page,
 * evaluate expressions in it, collect console errors and exceptions, take a screenshot.
 * @module
 */
import { spawnChild } from "../tasks/lib/child.ts";
import { RecentLines } from "../tasks/lib/lines.ts";
import { deadline, poll } from "@campus/shared/timing";

/** The Chromium binary on PATH, or undefined when there is none. */
export async function findChromium(): Promise<string | undefined> {
  for (const name of ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]) {
    const output = await new Deno.Command("sh", {
      args: ["-c", `command -v ${name}`],
      stdout: "piped",
      stderr: "null",
    }).output().catch(() => undefined);
    const path = output?.success ? new TextDecoder().decode(output.stdout).trim() : "";
    if (path) return path;
  }
  return undefined;
}

interface Pending {
  resolve: (result: Record<string, unknown>) => void;
  reject: (error: Error) => void;
}

/** Longest a DevTools command or a page load may take before the test fails instead of hanging. */
const COMMAND_TIMEOUT_MS = 15_000;

/** One page of a browser of its own. */
export interface BrowserPage extends AsyncDisposable {
  /** Console errors, uncaught exceptions and failed loads, as they happened. */
  readonly errors: string[];
  navigate(url: string): Promise<void>;
  /** The value of `expression` in the page (JSON-serializable values only). */
  evaluate(expression: string): Promise<unknown>;
  screenshot(path: string): Promise<void>;
}

/** Starts Chromium headless with a profile under `.data/` and opens one page. */
export async function openBrowserPage(chromium: string): Promise<BrowserPage> {
  const profile = `.data/chromium-${crypto.randomUUID().slice(0, 8)}`;
  let devtools = "";
  const recent = new RecentLines(20);
  const child = spawnChild(chromium, {
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      `--user-data-dir=${profile}`,
      "--window-size=1280,900",
      "about:blank",
    ],
    onLine: (line) => {
      recent.push(line);
      const match = line.match(/DevTools listening on (ws:\/\/\S+)/);
      if (match) devtools = match[1]!;
    },
    graceMs: 5_000,
  });
  const close = async () => {
    await child.stop();
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  };
  try {
    let exited = false;
    child.status.then(() => exited = true);
    await poll("Chromium to open its DevTools port", () => {
      if (exited) throw new ChromiumExited(`Chromium exited:\n${recent}`);
      return devtools || undefined;
    }, { timeoutMs: 30_000, isFatal: (error) => error instanceof ChromiumExited });
    const port = new URL(devtools).port;
    const target = await poll("a page target", async () => {
      const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as {
        type: string;
        webSocketDebuggerUrl: string;
      }[];
      return targets.find((entry) => entry.type === "page");
    }, { timeoutMs: 10_000 });
    const socket = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error("Cannot connect to the page's DevTools socket"));
    });
    const pending = new Map<number, Pending>();
    const errors: string[] = [];
    const listeners = new Map<string, () => void>();
    let nextId = 0;
    // If Chromium dies or the socket drops, every wait ends with an error instead of hanging.
    let lost: Error | undefined;
    const fail = (reason: string) => {
      lost ??= new Error(`${reason}\n${recent}`);
      for (const waiting of pending.values()) waiting.reject(lost);
      pending.clear();
    };
    const closed = new Promise<void>((resolve) => {
      socket.onclose = () => {
        fail("The DevTools connection closed");
        resolve();
      };
    });
    socket.onerror = () => fail("The DevTools connection failed");
    child.status.then(() => fail("Chromium exited"));
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.id !== undefined) {
        const waiting = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) waiting?.reject(new Error(JSON.stringify(message.error)));
        else waiting?.resolve(message.result ?? {});
        return;
      }
      const params = message.params ?? {};
      if (message.method === "Runtime.exceptionThrown") {
        errors.push(
          `exception: ${
            JSON.stringify(
              params.exceptionDetails?.exception?.description ?? params.exceptionDetails?.text,
            )
          }`,
        );
      } else if (
        message.method === "Runtime.consoleAPICalled" && ["error", "assert"].includes(params.type)
      ) {
        errors.push(
          `console.${params.type}: ${
            JSON.stringify(
              params.args?.map((arg: { value?: unknown; description?: string }) =>
                arg.value ?? arg.description
              ),
            )
          }`,
        );
      } else if (message.method === "Log.entryAdded" && params.entry?.level === "error") {
        errors.push(`log: ${params.entry.text} ${params.entry.url ?? ""}`);
      }
      listeners.get(message.method)?.();
    };
    const send = (method: string, params: Record<string, unknown> = {}) =>
      deadline(
        new Promise<Record<string, unknown>>((resolve, reject) => {
          if (lost) return reject(lost);
          const id = ++nextId;
          pending.set(id, { resolve, reject });
          socket.send(JSON.stringify({ id, method, params }));
        }),
        COMMAND_TIMEOUT_MS,
        () => new Error(`DevTools command ${method} got no answer in ${COMMAND_TIMEOUT_MS} ms`),
      );
    await send("Runtime.enable");
    await send("Log.enable");
    await send("Page.enable");
    return {
      errors,
      async navigate(url) {
        const loaded = new Promise<void>((resolve) =>
          listeners.set("Page.loadEventFired", resolve)
        );
        const { errorText } = await send("Page.navigate", { url });
        if (errorText) throw new Error(`Cannot open ${url}: ${errorText}`);
        await deadline(
          loaded,
          COMMAND_TIMEOUT_MS,
          () => new Error(`${url} did not finish loading`),
        );
      },
      async evaluate(expression) {
        const result = await send("Runtime.evaluate", { expression, returnByValue: true });
        const value = result.result as { value?: unknown } | undefined;
        if (result.exceptionDetails) throw new Error(`${expression} threw in the page`);
        return value?.value;
      },
      async screenshot(path) {
        const { data } = await send("Page.captureScreenshot", { format: "png" });
        const bytes = Uint8Array.from(atob(String(data)), (char) => char.charCodeAt(0));
        await Deno.writeFile(path, bytes);
      },
      async [Symbol.asyncDispose]() {
        socket.close();
        await closed;
        await close();
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}

class ChromiumExited extends Error {
  override name = "ChromiumExited";
}
