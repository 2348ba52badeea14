/**
 * The dashboard page (`GET /`): one self-contained HTML document, no CDN, no library. It asks
 * `dashboard.json` every second and redraws without reloading: counts, failure rate and reasons,
 * orders per minute, lag per partition of both consumer groups, and the stock of every item.
 * Text from events (item names) is only ever set as text, never parsed as HTML.
 * @module
 */

/** The page, served as is. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Campus orders · live</title>
<link rel="icon" href="data:,">
<style>
  :root { --ok: #2a7d2a; --bad: #c0392b; --ink: #1d2330; --muted: #667085; --card: #fff; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif;
    color: var(--ink); background: #f2f4f7; }
  header { display: flex; align-items: baseline; gap: 1rem; padding: 1rem 1.5rem;
    background: var(--ink); color: #fff; }
  header h1 { margin: 0; font-size: 1.3rem; }
  #status { font-size: .85rem; color: #9fd49f; }
  #status.down { color: #ffb4a8; }
  main { display: grid; gap: 1rem; padding: 1rem 1.5rem;
    grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); }
  section { background: var(--card); border-radius: 10px; padding: 1rem 1.2rem;
    box-shadow: 0 1px 3px rgba(16, 24, 40, .1); }
  section.wide { grid-column: 1 / -1; }
  h2 { margin: 0 0 .6rem; font-size: .95rem; color: var(--muted); font-weight: 600; }
  .figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: .8rem; }
  .figure b { display: block; font-size: 1.8rem; font-variant-numeric: tabular-nums; }
  .figure span { color: var(--muted); font-size: .85rem; }
  .ok { color: var(--ok); } .bad { color: var(--bad); }
  table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
  td, th { padding: .25rem .4rem; text-align: left; }
  th { color: var(--muted); font-weight: 500; font-size: .85rem; }
  td.number { text-align: right; width: 6rem; }
  td.bar-cell { width: 50%; }
  .bar { height: .7rem; border-radius: 3px; background: #4f7fd1; min-width: 1px; }
  .bar.empty { background: var(--bad); }
  ul { margin: 0; padding-left: 1.1rem; }
  svg text { font-size: 10px; fill: var(--muted); }
  .unavailable { color: var(--muted); font-style: italic; }
</style>
</head>
<body>
<header><h1>Campus orders</h1><span id="status">connecting…</span></header>
<main>
  <section class="wide">
    <h2>Orders (counted by analytics from inventory-events)</h2>
    <div class="figures">
      <div class="figure"><b id="total-orders">–</b><span>orders</span></div>
      <div class="figure"><b id="successful-orders" class="ok">–</b><span>reserved</span></div>
      <div class="figure"><b id="failed-orders" class="bad">–</b><span>failed</span></div>
      <div class="figure"><b id="failure-rate">–</b><span>failure rate</span></div>
      <div class="figure"><b id="orders-per-minute">–</b><span>orders per minute</span></div>
    </div>
  </section>
  <section class="wide">
    <h2>Orders per minute (event time, last 30 minutes)</h2>
    <svg id="per-minute-chart" width="100%" height="140" viewBox="0 0 900 140"
      preserveAspectRatio="none" role="img" aria-label="Orders per minute"></svg>
  </section>
  <section>
    <h2>Failure reasons</h2>
    <ul id="failure-reasons"><li class="unavailable">none yet</li></ul>
  </section>
  <section>
    <h2>Lag per partition (messages not yet processed)</h2>
    <table><thead><tr><th>partition</th><th>inventory</th><th>analytics</th></tr></thead>
      <tbody id="lag"></tbody></table>
  </section>
  <section>
    <h2>Remaining stock</h2>
    <table><tbody id="stock"></tbody></table>
  </section>
  <section>
    <h2>Producer outbox (orders taken while Kafka was away)</h2>
    <div class="figures">
      <div class="figure"><b id="outbox-depth">–</b><span>queued orders</span></div>
      <div class="figure"><b id="outbox-age">–</b><span>oldest waiting</span></div>
      <div class="figure"><b id="outbox-full">–</b><span>of its bound used</span></div>
    </div>
    <p id="producer-kafka" class="unavailable"></p>
  </section>
</main>
<script>
"use strict";
window.dashboardLoadedAt = Date.now();
const byId = (id) => document.getElementById(id);
const number = (value) => value === null || value === undefined ? "–" : value.toLocaleString("en-US");

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) tr.append(cell);
  return tr;
}

function renderCounts(metrics) {
  byId("total-orders").textContent = number(metrics.total_orders);
  byId("successful-orders").textContent = number(metrics.successful_orders);
  byId("failed-orders").textContent = number(metrics.failed_orders);
  byId("failure-rate").textContent = metrics.failure_rate_percent.toFixed(2) + " %";
  byId("orders-per-minute").textContent = number(metrics.orders_per_minute);
  const reasons = Object.entries(metrics.failure_reasons);
  byId("failure-reasons").replaceChildren(...(reasons.length === 0
    ? [element("li", "none yet", "unavailable")]
    : reasons.map(([reason, count]) => element("li", reason + ": " + number(count)))));
}

function renderPerMinute(perMinute) {
  const svg = byId("per-minute-chart");
  const ns = "http://www.w3.org/2000/svg";
  // The last 30 minutes of event time up to the latest order, minutes without orders included.
  const known = Object.keys(perMinute);
  const latest = known.length ? Date.parse(known[known.length - 1]) : NaN;
  const minutes = Number.isNaN(latest) ? [] : Array.from({ length: 30 }, (_, index) => {
    const minute = new Date(latest - (29 - index) * 60000).toISOString().slice(0, 16) + "Z";
    return [minute, perMinute[minute] ?? 0];
  }).filter(([minute]) => minute >= known[0]);
  const max = Math.max(1, ...minutes.map(([, count]) => count));
  const width = 900 / 30;
  svg.replaceChildren(...minutes.flatMap(([minute, count], index) => {
    const height = (count / max) * 110;
    const bar = document.createElementNS(ns, "rect");
    bar.setAttribute("x", String(index * width + 2));
    bar.setAttribute("y", String(120 - height));
    bar.setAttribute("width", String(width - 4));
    bar.setAttribute("height", String(height));
    bar.setAttribute("fill", "#4f7fd1");
    const title = document.createElementNS(ns, "title");
    title.textContent = minute + ": " + count + " orders";
    bar.append(title);
    const label = document.createElementNS(ns, "text");
    label.setAttribute("x", String(index * width + 2));
    label.setAttribute("y", "134");
    label.textContent = minute.slice(11, 16);
    return [bar, label];
  }));
}

function renderLag(data) {
  const inventory = data.inventory.lag;
  const partitions = new Set([...Object.keys(data.analytics.lag), ...Object.keys(inventory ?? {})]);
  const rows = [...partitions].sort((a, b) => Number(a) - Number(b)).map((partition) =>
    row([
      element("td", partition),
      element("td", inventory ? number(inventory[partition] ?? 0) : "unavailable", "number"),
      element("td", number(data.analytics.lag[partition] ?? 0), "number"),
    ])
  );
  byId("lag").replaceChildren(...rows);
}

function renderStock(stock) {
  const body = byId("stock");
  if (!stock) {
    body.replaceChildren(row([element("td", "inventory is not answering", "unavailable")]));
    return;
  }
  const items = Object.entries(stock);
  const max = Math.max(1, ...items.map(([, remaining]) => remaining));
  body.replaceChildren(...items.map(([item, remaining]) => {
    const bar = element("div", undefined, remaining === 0 ? "bar empty" : "bar");
    bar.style.width = Math.max(1, (remaining / max) * 100) + "%";
    const barCell = element("td", undefined, "bar-cell");
    barCell.append(bar);
    return row([element("td", item), element("td", number(remaining), "number"), barCell]);
  }));
}

function renderProducer(producer) {
  const state = byId("producer-kafka");
  const outbox = producer?.outbox;
  byId("outbox-depth").textContent = outbox ? number(outbox.depth) : "–";
  byId("outbox-age").textContent = outbox ? outbox.oldest_age_seconds.toFixed(1) + " s" : "–";
  byId("outbox-full").textContent = outbox
    ? (100 * outbox.bytes / Math.max(1, outbox.max_bytes)).toFixed(1) + " %"
    : "–";
  byId("outbox-depth").className = outbox && outbox.depth > 0 ? "bad" : "";
  if (!producer) {
    state.textContent = "the producer is not answering";
  } else {
    state.textContent = producer.connected + " of " + producer.answering +
      " producer(s) connected to Kafka" +
      (outbox ? (outbox.depth > 0 ? "; the relay sends queued orders once Kafka is back" : "") :
        "; outbox off (ORDER_OUTBOX=off)");
  }
}

async function refresh() {
  const status = byId("status");
  try {
    const response = await fetch("dashboard.json", {
      cache: "no-store",
      signal: AbortSignal.timeout(2000),
    });
    if (!response.ok) throw new Error("HTTP " + response.status);
    const data = await response.json();
    renderCounts(data.metrics);
    renderPerMinute(data.metrics.per_minute);
    renderLag(data);
    renderStock(data.inventory.stock);
    renderProducer(data.producer);
    status.textContent = "live · updated " + new Date(data.updated_at).toLocaleTimeString();
    status.className = "";
  } catch (error) {
    console.error("dashboard refresh failed", error);
    status.textContent = "no fresh data (" + error.message + "); retrying";
    status.className = "down";
  }
}

// One refresh at a time, the next a second after the last ended: a slow answer never piles up.
async function refreshForever() {
  await refresh();
  setTimeout(refreshForever, 1000);
}
refreshForever();
</script>
</body>
</html>
`;
