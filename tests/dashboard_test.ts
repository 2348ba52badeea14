/**
 * The dashboard, as a person sees it: headless Chromium opens `GET /` of analytics, orders are
 * sent, and the page's counts change to the expected values without a reload, with no error in
 * the browser's console. A screenshot is kept in .data/test-artifacts/dashboard.png. Without
 * Chromium the test is reported as ignored, never as passed.
 */
import assert from "node:assert/strict";
import { findChromium, openBrowserPage } from "./_browser.ts";
import { analyticsReaches, analyticsSettled, experimentOrder, postOrder } from "./_experiments.ts";
import { DEFAULT_EVENT_PARTITIONS } from "@campus/shared/topics";
import { canStartProcesses, eventually, stack } from "./_support.ts";

const chromium = canStartProcesses ? await findChromium() : undefined;
const ORDERS = 7;

Deno.test({
  name: chromium
    ? "the dashboard shows the counts, lag and stock and follows new orders without a reload"
    : "the dashboard in a browser (ignored: no Chromium on PATH, or no permission to run it)",
  ignore: chromium === undefined,
}, async () => {
  const settled = await analyticsSettled();
  await using page = await openBrowserPage(chromium!);
  await page.navigate(`${stack.analyticsUrl}/`);
  const loadedAt = await page.evaluate("window.dashboardLoadedAt");
  const shownTotal = () =>
    page.evaluate("document.getElementById('total-orders').textContent.replaceAll(',', '')");
  await eventually("the page to show analytics' count", async () => {
    return await shownTotal() === String(settled.metrics.total_orders) ? true : undefined;
  }, { timeoutMs: 10_000, lastSeen: () => settled.metrics.total_orders });

  for (let index = 0; index < ORDERS; index++) {
    const { status } = await postOrder(experimentOrder(`dashboard-${crypto.randomUUID()}`, index));
    assert.equal(status, 202);
  }
  const expected = settled.metrics.total_orders + ORDERS;
  const counted = await analyticsReaches(expected);
  let seen: unknown;
  await eventually(`the page to show ${expected} orders`, async () => {
    seen = await shownTotal();
    return seen === String(expected) ? true : undefined;
  }, { timeoutMs: 10_000, lastSeen: () => seen });

  assert.equal(await page.evaluate("window.dashboardLoadedAt"), loadedAt, "no reload");
  assert.equal(await page.evaluate("document.getElementById('status').className"), "", "live");
  assert.equal(
    await page.evaluate("document.getElementById('failed-orders').textContent.replaceAll(',', '')"),
    String(counted.metrics.failed_orders),
  );
  const lagRows = await page.evaluate("document.querySelectorAll('#lag tr').length");
  assert.equal(lagRows, DEFAULT_EVENT_PARTITIONS, "one lag row per partition");
  const stock = await page.evaluate(
    "[...document.querySelectorAll('#stock tr')].map((row) => row.cells[0].textContent)",
  ) as string[];
  assert.ok(stock.includes("pizza"), `stock of every item, got ${stock}`);
  const bars = await page.evaluate("document.querySelectorAll('#per-minute-chart rect').length");
  assert.ok(Number(bars) >= 1, "orders per minute drawn");
  // The producer's outbox, read from its /ready: empty, with the producer connected to Kafka.
  assert.equal(await page.evaluate("document.getElementById('outbox-depth').textContent"), "0");
  assert.match(
    String(await page.evaluate("document.getElementById('producer-kafka').textContent")),
    /^1 of 1 producer\(s\) connected to Kafka$/,
  );

  await Deno.mkdir(".data/test-artifacts", { recursive: true });
  await page.screenshot(".data/test-artifacts/dashboard.png");
  assert.deepEqual(page.errors, [], "the browser's console shows no errors");
});
