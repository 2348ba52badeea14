/**
 * The checker: from the client's history, what is on the topics (read_committed), the stock the
 * inventory reports and the metrics analytics reports, it finds lost, duplicated and phantom
 * orders, oversold and drifting stock, reordered items and wrong metrics. Pure: no I/O in here.
 * @module
 */
import { mayExist, type Operation } from "./history.ts";

/** A decision read from inventory-events. */
export interface Decision {
  orderId: string;
  userId: string;
  item: string;
  quantity: number;
  outcome: "reserved" | "failed";
  reason?: string;
  remaining?: number;
  partition: number;
  offset: number;
  /** The decision's `occurred_at`, epoch milliseconds. */
  decidedAt: number;
}

/** An OrderPlaced read from order-events. */
export interface PlacedOrder {
  orderId: string;
  userId: string;
}

/** What analytics reported, the parts the checker recomputes. */
export interface AnalyticsFigures {
  total_orders: number;
  successful_orders: number;
  failed_orders: number;
  failure_reasons: Record<string, number>;
}

/** Everything the checker looks at. */
export interface CheckInput {
  operations: readonly Operation[];
  placed: readonly PlacedOrder[];
  decisions: readonly Decision[];
  initialStock: Readonly<Record<string, number>>;
  /** `GET /inventory`'s items after the run settled; undefined when it did not answer. */
  inventoryRemaining: Readonly<Record<string, number>> | undefined;
  /** `GET /metrics`' metrics after the run settled; undefined when it did not answer. */
  analytics: AnalyticsFigures | undefined;
  /** Records on order-events or inventory-events that failed their schema. */
  invalidRecords?: number;
}

/** How many of one anomaly, with a few examples to start looking from. */
export interface Finding {
  count: number;
  examples: string[];
}

/** The anomalies: every one but `unresolved` must be 0. */
export const CHECKS = [
  "lost",
  "duplicate",
  "phantom",
  "undecided",
  "oversold",
  "stock_drift",
  "reordered",
  "analytics_mismatch",
  "wrong_decision",
  "wrong_answer",
  "invalid_event",
  "server_error",
] as const;
/** One anomaly the checker counts. */
export type Check = typeof CHECKS[number];

/** The checker's verdict. */
export interface CheckReport {
  counts: {
    requests: number;
    orders: number;
    retries: number;
    accepted: number;
    rejected: number;
    unavailable: number;
    refused: number;
    noAnswer: number;
    serverErrors: number;
    notSent: number;
    placed: number;
    decisions: number;
    reserved: number;
    failed: number;
  };
  findings: Record<Check, Finding>;
  /** Orders with no definite answer (no answer, or a 503 that may have been written). */
  unresolved: { count: number; decided: number };
  ok: boolean;
}

const MAX_EXAMPLES = 5;

class Findings {
  readonly all = Object.fromEntries(
    CHECKS.map((check) => [check, { count: 0, examples: [] as string[] }]),
  ) as Record<Check, Finding>;

  add(check: Check, example: string): void {
    const finding = this.all[check];
    finding.count++;
    if (finding.examples.length < MAX_EXAMPLES) finding.examples.push(example);
  }
}

/** The attempts at one logical order, and what they say about it. */
interface LogicalOrder {
  userId: string;
  attempts: Operation[];
  /** Whether any attempt was answered 2xx. */
  accepted: boolean;
  /** The order id a 2xx answered. */
  acceptedId?: string;
  /** When the first attempt that may have written it was sent. */
  firstSentAt: number;
  firstAcceptedAt?: number;
}

function logicalOrders(operations: readonly Operation[]): Map<string, LogicalOrder> {
  const orders = new Map<string, LogicalOrder>();
  for (const operation of operations) {
    const userId = String(operation.body.user_id);
    let order = orders.get(userId);
    if (!order) {
      order = { userId, attempts: [], accepted: false, firstSentAt: Infinity };
      orders.set(userId, order);
    }
    order.attempts.push(operation);
    // An attempt that cannot have written anything does not place the order in time.
    if (mayExist(operation)) order.firstSentAt = Math.min(order.firstSentAt, operation.sentAt);
    if (operation.outcome === "accepted") {
      order.accepted = true;
      order.acceptedId ??= operation.orderId;
      order.firstAcceptedAt = Math.min(order.firstAcceptedAt ?? Infinity, operation.doneAt);
    }
  }
  // An order no attempt could have written (a phantom if decided) is placed by its first send.
  for (const order of orders.values()) {
    if (order.firstSentAt === Infinity) {
      order.firstSentAt = Math.min(...order.attempts.map((attempt) => attempt.sentAt));
    }
  }
  return orders;
}

function countOutcomes(operations: readonly Operation[]) {
  const count = (outcome: Operation["outcome"]) =>
    operations.filter((operation) => operation.outcome === outcome).length;
  return {
    requests: operations.length,
    retries: operations.filter((operation) => operation.attempt > 1).length,
    accepted: count("accepted"),
    rejected: count("rejected"),
    unavailable: count("unavailable"),
    refused: count("refused"),
    noAnswer: count("no_answer"),
    serverErrors: count("server_error"),
    notSent: count("not_sent"),
  };
}

/** Checks one run. */
export function checkRun(input: CheckInput): CheckReport {
  const findings = new Findings();
  const orders = logicalOrders(input.operations);
  const byOrderId = new Map<string, Decision[]>();
  for (const decision of input.decisions) {
    byOrderId.set(decision.orderId, [...(byOrderId.get(decision.orderId) ?? []), decision]);
  }
  // The first decision of each order id, the one that counts; repeats are duplicates.
  const firstDecisions = [...byOrderId.values()].map((decisions) => decisions[0]!);

  const idsPerUser = new Map<string, Set<string>>();
  for (const decision of firstDecisions) {
    const ids = idsPerUser.get(decision.userId) ?? new Set();
    ids.add(decision.orderId);
    idsPerUser.set(decision.userId, ids);
  }

  for (const order of orders.values()) {
    if (!order.accepted) continue;
    const decided = order.acceptedId === undefined
      ? idsPerUser.has(order.userId)
      : byOrderId.has(order.acceptedId);
    if (!decided) {
      findings.add("lost", `order ${order.acceptedId ?? "?"} (${order.userId}) was answered 2xx`);
    }
  }

  for (const operation of input.operations) {
    const where = `request ${operation.op} (${operation.body.user_id})`;
    if (operation.outcome === "server_error") {
      findings.add(
        "server_error",
        `${where} answered ${operation.status}: ${operation.error ?? ""}`,
      );
    } else if (operation.outcome === "accepted" && !operation.valid) {
      findings.add("wrong_answer", `${where}: an invalid order was answered ${operation.status}`);
    } else if (operation.outcome === "accepted" && operation.orderId === undefined) {
      findings.add("wrong_answer", `${where}: answered ${operation.status} without an order_id`);
    } else if (operation.outcome === "rejected" && operation.valid) {
      findings.add(
        "wrong_answer",
        `${where}: a valid order was refused with ${operation.status}: ${operation.error ?? ""}`,
      );
    }
  }
  if (input.invalidRecords) {
    findings.add("invalid_event", `${input.invalidRecords} records failed their schema`);
  }

  for (const [orderId, decisions] of byOrderId) {
    if (decisions.length > 1) {
      findings.add(
        "duplicate",
        `order ${orderId} decided ${decisions.length} times (offsets ${
          decisions.map((decision) => `${decision.partition}@${decision.offset}`).join(", ")
        })`,
      );
    }
  }
  for (const [userId, ids] of idsPerUser) {
    if (ids.size > 1) {
      findings.add("duplicate", `one request of ${userId} became ${ids.size} orders`);
    }
  }

  for (const decision of firstDecisions) {
    const order = orders.get(decision.userId);
    const what = `order ${decision.orderId} (${decision.userId})`;
    if (!order) {
      findings.add("phantom", `${what}: no client sent it`);
    } else if (!order.attempts.some(mayExist)) {
      const outcomes = order.attempts.map((attempt) => attempt.outcome).join(", ");
      findings.add("phantom", `${what}: every attempt said nothing was written (${outcomes})`);
    } else if (order.acceptedId !== undefined && order.acceptedId !== decision.orderId) {
      findings.add("phantom", `${what}: the client was answered order ${order.acceptedId}`);
    } else {
      const sent = order.attempts[0]!.body;
      if (sent.item !== decision.item || sent.quantity !== decision.quantity) {
        findings.add(
          "phantom",
          `${what}: ${decision.quantity} × ${decision.item} decided, ${sent.quantity} × ${sent.item} sent`,
        );
      }
    }
  }

  for (const placed of input.placed) {
    if (!byOrderId.has(placed.orderId)) {
      findings.add("undecided", `order ${placed.orderId} (${placed.userId}) is on order-events`);
    }
  }

  checkStock(input, firstDecisions, findings);
  checkItemOrder(firstDecisions, orders, findings);
  checkAnalytics(input.analytics, firstDecisions, findings);

  let unresolved = 0;
  let unresolvedDecided = 0;
  for (const order of orders.values()) {
    if (order.acceptedId !== undefined || !order.attempts.some(mayExist)) continue;
    unresolved++;
    if (idsPerUser.has(order.userId)) unresolvedDecided++;
  }

  const reserved = firstDecisions.filter((decision) => decision.outcome === "reserved").length;
  const report: CheckReport = {
    counts: {
      ...countOutcomes(input.operations),
      orders: orders.size,
      placed: input.placed.length,
      decisions: input.decisions.length,
      reserved,
      failed: firstDecisions.length - reserved,
    },
    findings: findings.all,
    unresolved: { count: unresolved, decided: unresolvedDecided },
    ok: CHECKS.every((check) => findings.all[check].count === 0),
  };
  return report;
}

/**
 * Stock never oversold; every reservation's `remaining` and every out_of_stock agree with the
 * initial stock minus what was reserved before it on the item's partition; the inventory's final
 * stock is the initial stock minus everything reserved.
 */
function checkStock(input: CheckInput, decisions: readonly Decision[], findings: Findings): void {
  const reserved = new Map<string, number>();
  const inLogOrder = [...decisions].sort((a, b) =>
    a.partition - b.partition || a.offset - b.offset
  );
  for (const decision of inLogOrder) {
    const what = `${decision.item}: order ${decision.orderId}`;
    const initial = input.initialStock[decision.item];
    if (initial === undefined) {
      if (decision.outcome !== "failed" || decision.reason !== "unknown_item") {
        findings.add("wrong_decision", `${what} of an item not on the menu was not unknown_item`);
      }
      continue;
    }
    const before = initial - (reserved.get(decision.item) ?? 0);
    if (decision.outcome === "reserved") {
      const after = before - decision.quantity;
      reserved.set(decision.item, (reserved.get(decision.item) ?? 0) + decision.quantity);
      if (decision.remaining !== after) {
        findings.add("stock_drift", `${what} says ${decision.remaining} remain, ${after} should`);
      }
    } else if (decision.reason !== "out_of_stock") {
      findings.add("wrong_decision", `${what} failed with ${decision.reason} on a menu item`);
    } else if (before >= decision.quantity) {
      findings.add(
        "wrong_decision",
        `${what} of ${decision.quantity} refused as out_of_stock with ${before} left`,
      );
    }
  }
  for (const [item, quantity] of reserved) {
    const initial = input.initialStock[item]!;
    if (quantity > initial) {
      findings.add("oversold", `${item}: ${quantity} reserved of ${initial}`);
    }
  }
  if (input.inventoryRemaining === undefined) {
    findings.add("stock_drift", "the inventory did not answer GET /inventory after the run");
    return;
  }
  for (const [item, initial] of Object.entries(input.initialStock)) {
    const expected = initial - (reserved.get(item) ?? 0);
    const reported = input.inventoryRemaining[item];
    if (reported !== expected) {
      findings.add(
        "stock_drift",
        `${item}: inventory reports ${reported} left, ${expected} should be`,
      );
    }
  }
}

/**
 * Orders of one item are decided in the order the producer acknowledged them: an order answered
 * 2xx before another order of the same item was even sent must be decided first.
 */
function checkItemOrder(
  decisions: readonly Decision[],
  orders: ReadonlyMap<string, LogicalOrder>,
  findings: Findings,
): void {
  const inLogOrder = [...decisions].sort((a, b) =>
    a.partition - b.partition || a.offset - b.offset
  );
  const latestSentBefore = new Map<string, { at: number; orderId: string }>();
  for (const decision of inLogOrder) {
    const order = orders.get(decision.userId);
    if (!order) continue;
    const earlier = latestSentBefore.get(decision.item);
    if (
      earlier && order.firstAcceptedAt !== undefined && order.firstAcceptedAt < earlier.at
    ) {
      findings.add(
        "reordered",
        `${decision.item}: order ${decision.orderId} was acknowledged before ${earlier.orderId} was sent, yet decided after it`,
      );
    }
    if (!earlier || order.firstSentAt > earlier.at) {
      latestSentBefore.set(decision.item, { at: order.firstSentAt, orderId: decision.orderId });
    }
  }
}

/** Analytics counts each decided order once; its figures must equal a recount of the topic. */
function checkAnalytics(
  analytics: AnalyticsFigures | undefined,
  decisions: readonly Decision[],
  findings: Findings,
): void {
  if (analytics === undefined) {
    findings.add("analytics_mismatch", "analytics did not answer GET /metrics after the run");
    return;
  }
  const failed = decisions.filter((decision) => decision.outcome === "failed");
  const reasons: Record<string, number> = {};
  for (const decision of failed) {
    reasons[decision.reason ?? "?"] = (reasons[decision.reason ?? "?"] ?? 0) + 1;
  }
  const expected = {
    total_orders: decisions.length,
    successful_orders: decisions.length - failed.length,
    failed_orders: failed.length,
  };
  for (const name of Object.keys(expected) as (keyof typeof expected)[]) {
    const value = expected[name];
    const reported = analytics[name];
    if (reported !== value) {
      findings.add("analytics_mismatch", `${name}: analytics says ${reported}, the topic ${value}`);
    }
  }
  for (
    const reason of new Set([...Object.keys(reasons), ...Object.keys(analytics.failure_reasons)])
  ) {
    const reported = analytics.failure_reasons[reason] ?? 0;
    const value = reasons[reason] ?? 0;
    if (reported !== value) {
      findings.add(
        "analytics_mismatch",
        `failure_reasons.${reason}: analytics says ${reported}, the topic ${value}`,
      );
    }
  }
}
