/** The inventory service's Prometheus metrics, on a registry of its own. */
import { Counter, Gauge, Registry } from "prom-client";
import type { Outcome } from "./decide.ts";

/** The inventory service's metrics. */
export interface InventoryMetrics {
  registry: Registry;
  results: Counter<"outcome">;
  duplicates: Counter;
  deadLetters: Counter<"reason">;
  lag: Gauge<"partition">;
  rebalances: Counter;
  transactions: Counter<"outcome">;
  delay: Gauge;
  /** Counts a committed chunk's outcomes. */
  countOutcomes(outcomes: readonly Outcome[]): void;
}

/** Creates the metrics; `delaySeconds` is read when scraped. */
export function createInventoryMetrics(sample: { delaySeconds: () => number }): InventoryMetrics {
  const registry = new Registry();
  const registers = [registry];
  const results = new Counter({
    name: "inventory_results_total",
    help: "Orders decided, by outcome: reserved, out_of_stock or unknown_item.",
    labelNames: ["outcome"],
    registers,
  });
  const duplicates = new Counter({
    name: "inventory_duplicates_total",
    help: "OrderPlaced events whose order_id was already decided, dropped.",
    registers,
  });
  const deadLetters = new Counter({
    name: "inventory_dead_letters_total",
    help: "Messages sent to order-events.dlq, by reason.",
    labelNames: ["reason"],
    registers,
  });
  return {
    registry,
    results,
    duplicates,
    deadLetters,
    lag: new Gauge({
      name: "inventory_consumer_lag",
      help: "Messages on order-events not yet decided, per partition.",
      labelNames: ["partition"],
      registers,
    }),
    rebalances: new Counter({
      name: "inventory_rebalances_total",
      help: "Partition assignments received from the group.",
      registers,
    }),
    transactions: new Counter({
      name: "inventory_transactions_total",
      help: "Kafka transactions, by outcome: committed or aborted.",
      labelNames: ["outcome"],
      registers,
    }),
    delay: new Gauge({
      name: "inventory_processing_delay_seconds",
      help: "Seconds spent per message (PROCESSING_DELAY or POST /admin/throttle).",
      registers,
      collect() {
        this.set(sample.delaySeconds());
      },
    }),
    countOutcomes(outcomes) {
      for (const outcome of outcomes) {
        if (outcome.kind === "duplicate") duplicates.inc();
        else if (outcome.kind === "dead_letter") deadLetters.inc({ reason: outcome.reason });
        else {
          const { event } = outcome;
          results.inc({
            outcome: event.event_type === "InventoryReserved" ? "reserved" : event.reason,
          });
        }
      }
    },
  };
}
