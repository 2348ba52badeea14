import assert from "node:assert/strict";
import { parseConsumerPerformance, parseProducerPerformance } from "./ceiling.ts";

Deno.test("ProducerPerformance's last summary line gives records/s and average latency", () => {
  const text = [
    "250001 records sent, 50000.2 records/sec (11.92 MB/sec), 300.1 ms avg latency, 800.0 ms max latency.",
    "500000 records sent, 123456.7 records/sec (29.43 MB/sec), 151.20 ms avg latency, 820.00 ms max latency, 140 ms 50th, 400 ms 95th, 600 ms 99th, 800 ms 99.9th.",
  ].join("\n");
  assert.deepEqual(parseProducerPerformance(text), { perSecond: 123456.7, avgMs: 151.2 });
  assert.throws(() => parseProducerPerformance("nothing"), /No ProducerPerformance summary/);
});

Deno.test("ConsumerPerformance's nMsg.sec column is read by its header", () => {
  const text = [
    "WARN something",
    "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec",
    "2026-11-27 22:00:00:000, 2026-11-27 22:00:02:000, 119.2093, 59.6046, 500000, 250000.0000, 300, 1700, 70.1231, 294117.6471",
  ].join("\n");
  assert.equal(parseConsumerPerformance(text), 250000);
  assert.throws(() => parseConsumerPerformance("x"), /No ConsumerPerformance table/);
});
