/**
 * The producer's Prometheus metrics, on a registry of its own (no default process metrics, which
 * would need extra permissions).
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { OutboxStats } from "./outbox.ts";

/** The producer's metrics. */
export interface ProducerMetrics {
  registry: Registry;
  requests: Counter<"route" | "status">;
  produceLatency: Histogram<"outcome">;
  batchSize: Histogram;
  ordersAccepted: Counter;
  kafkaReady: Gauge;
  pendingMessages: Gauge;
  ordersQueued: Counter;
  ordersRelayed: Counter;
}

/** Creates the metrics; `ready` and `pending` are read when scraped. */
export function createProducerMetrics(
  sample: { ready: () => boolean; pending: () => number; outbox?: () => OutboxStats | undefined },
): ProducerMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (sample.outbox) registerOutboxGauges(registers, sample.outbox);
  return {
    registry,
    requests: new Counter({
      name: "producer_http_requests_total",
      help: "HTTP requests by route and status code.",
      labelNames: ["route", "status"],
      registers,
    }),
    produceLatency: new Histogram({
      name: "producer_produce_latency_seconds",
      help: "Duration of one Kafka produce request, from send to acknowledgement (or failure).",
      labelNames: ["outcome"],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    batchSize: new Histogram({
      name: "producer_batch_size",
      help: "Orders per Kafka produce request, after coalescing concurrent requests.",
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000],
      registers,
    }),
    ordersAccepted: new Counter({
      name: "producer_orders_accepted_total",
      help: "Orders acknowledged by Kafka and answered with 202.",
      registers,
    }),
    kafkaReady: new Gauge({
      name: "producer_kafka_ready",
      help: "1 while the producer is connected to Kafka and its last send succeeded.",
      registers,
      collect() {
        this.set(sample.ready() ? 1 : 0);
      },
    }),
    pendingMessages: new Gauge({
      name: "producer_pending_messages",
      help: "Orders waiting for the next Kafka produce request.",
      registers,
      collect() {
        this.set(sample.pending());
      },
    }),
    ordersQueued: new Counter({
      name: "producer_orders_queued_total",
      help: "Orders stored in the outbox and answered 202 queued.",
      registers,
    }),
    ordersRelayed: new Counter({
      name: "producer_orders_relayed_total",
      help: "Orders the outbox relayed to Kafka (acknowledged, then deleted from the outbox).",
      registers,
    }),
  };
}

/** The outbox's depth, bytes and oldest age, read when scraped (absent with ORDER_OUTBOX=off). */
function registerOutboxGauges(
  registers: Registry[],
  stats: () => OutboxStats | undefined,
): void {
  const gauge = (name: string, help: string, read: (stats: OutboxStats) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const now = stats();
        if (now) this.set(read(now));
      },
    });
  gauge("producer_outbox_orders", "Orders held in the outbox.", (s) => s.depth);
  gauge("producer_outbox_bytes", "Bytes held in the outbox.", (s) => s.bytes);
  gauge("producer_outbox_max_bytes", "Most bytes the outbox holds.", (s) => s.max_bytes);
  gauge(
    "producer_outbox_oldest_age_seconds",
    "Age of the oldest order in the outbox (0 when empty).",
    (s) => s.oldest_age_seconds,
  );
}
