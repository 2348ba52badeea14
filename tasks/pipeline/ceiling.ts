/**
 * The ceiling Kafka itself reaches on this machine, with its own tools (ProducerPerformance and
 * ConsumerPerformance, through `deno task kafka`), so the pipeline's figures read as a ratio to it.
 * @module
 */
import { spawnChild } from "../lib/child.ts";

/** What Kafka's own tools reached. */
export interface KafkaCeiling {
  records: number;
  recordBytes: number;
  /** ProducerPerformance, acks=all, idempotent (its default), as fast as it can. */
  producerPerSecond: number;
  producerAvgLatencyMs: number;
  /** ConsumerPerformance reading those records back. */
  consumerPerSecond: number;
}

async function tool(args: string[]): Promise<string> {
  const lines: string[] = [];
  const child = spawnChild(Deno.execPath(), {
    args: ["task", "--quiet", "kafka", ...args],
    env: { NO_COLOR: "1" },
    onLine: (line) => lines.push(line),
    graceMs: 10_000,
  });
  const status = await child.status;
  if (!status.success) throw new Error(`kafka ${args[0]} failed:\n${lines.slice(-20).join("\n")}`);
  return lines.join("\n");
}

/** "300000 records sent, 150000.0 records/sec (35.76 MB/sec), 150.00 ms avg latency, ..." */
export function parseProducerPerformance(text: string): { perSecond: number; avgMs: number } {
  const match = [...text.matchAll(
    /(\d+) records sent, ([\d.]+) records\/sec \([\d.]+ MB\/sec\), ([\d.]+) ms avg latency/g,
  )].at(-1);
  if (!match) throw new Error(`No ProducerPerformance summary in:\n${text}`);
  return { perSecond: Number(match[2]), avgMs: Number(match[3]) };
}

/** The nMsg.sec column of ConsumerPerformance's data line. */
export function parseConsumerPerformance(text: string): number {
  const lines = text.split("\n");
  const header = lines.findIndex((line) => line.includes("nMsg.sec"));
  if (header < 0) throw new Error(`No ConsumerPerformance table in:\n${text}`);
  const columns = lines[header]!.split(",").map((column) => column.trim());
  const values = lines.slice(header + 1).find((line) => line.split(",").length >= columns.length);
  const value = Number(values?.split(",")[columns.indexOf("nMsg.sec")]?.trim());
  if (!Number.isFinite(value)) throw new Error(`No nMsg.sec value in:\n${text}`);
  return value;
}

/** Runs both tools against `bootstrap` on `topic` (which must exist). */
export async function measureKafkaCeiling(
  bootstrap: string,
  topic: string,
  records: number,
  recordBytes: number,
): Promise<KafkaCeiling> {
  const produced = parseProducerPerformance(
    await tool([
      "producer-perf-test",
      "--topic",
      topic,
      "--num-records",
      String(records),
      "--record-size",
      String(recordBytes),
      "--throughput",
      "-1",
      "--bootstrap-server",
      bootstrap,
      "--producer-props",
      "acks=all",
    ]),
  );
  const consumed = parseConsumerPerformance(
    await tool([
      "consumer-perf-test",
      "--bootstrap-server",
      bootstrap,
      "--topic",
      topic,
      "--messages",
      String(records),
    ]),
  );
  return {
    records,
    recordBytes,
    producerPerSecond: produced.perSecond,
    producerAvgLatencyMs: produced.avgMs,
    consumerPerSecond: consumed,
  };
}
