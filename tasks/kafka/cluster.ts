/**
 * A local KRaft cluster of several nodes, each broker and controller, from the same jars: node k
 * listens on `port + 2(k-1)` and `controllerPort + 2(k-1)` (9092/9093, 9094/9095, 9096/9097 by
 * default) and keeps its data in `dataDir/node-k`. All are formatted with one cluster id, kept
 * in `dataDir/cluster-id`, so that a restarted node joins the same cluster.
 * @module
 */
import type { Child } from "../lib/child.ts";
import { type BrokerOptions, type RunningBroker, startBroker } from "./broker.ts";
import { newClusterId, type Voter } from "./config.ts";

/** The ports and data directory of node `id` (1-based) of a cluster. */
export interface NodePlan extends Voter {
  port: number;
  dataDir: string;
}

/** Where each of `nodes` nodes listens and keeps its data. */
export function planCluster(
  options: { nodes: number; port: number; controllerPort: number; dataDir: string },
): NodePlan[] {
  return Array.from({ length: options.nodes }, (_, index) => ({
    id: index + 1,
    port: options.port + 2 * index,
    controllerPort: options.controllerPort + 2 * index,
    dataDir: `${options.dataDir}/node-${index + 1}`,
  }));
}

/** Options of {@linkcode startCluster}: a broker's, with per-node logging and ownership. */
export interface ClusterOptions
  extends Omit<BrokerOptions, "log" | "onSpawn" | "port" | "controllerPort" | "dataDir"> {
  nodes: readonly NodePlan[];
  /** Holds `cluster-id` and the nodes' directories. */
  dataDir: string;
  log: (node: NodePlan, line: string) => void;
  onSpawn?: (node: NodePlan, child: Child) => void;
}

async function clusterId(dataDir: string): Promise<string> {
  const path = `${dataDir}/cluster-id`;
  try {
    return (await Deno.readTextFile(path)).trim();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await Deno.mkdir(dataDir, { recursive: true });
  const id = newClusterId();
  await Deno.writeTextFile(path, `${id}\n`);
  return id;
}

/**
 * Starts every node at once (a node serves nothing until a majority of controllers is up) and
 * resolves once each answers metadata requests.
 */
export async function startCluster(options: ClusterOptions): Promise<RunningBroker[]> {
  const id = await clusterId(options.dataDir);
  return await Promise.all(options.nodes.map((node) => startNode(options, node, id)));
}

/** Starts one node of the cluster again (after it died), as {@linkcode startCluster} did. */
export async function restartNode(options: ClusterOptions, node: NodePlan): Promise<RunningBroker> {
  return await startNode(options, node, await clusterId(options.dataDir));
}

function startNode(options: ClusterOptions, node: NodePlan, id: string): Promise<RunningBroker> {
  return startBroker({
    ...options,
    port: node.port,
    controllerPort: node.controllerPort,
    dataDir: node.dataDir,
    nodeId: node.id,
    voters: options.nodes.map(({ id, controllerPort }) => ({ id, controllerPort })),
    clusterId: id,
    log: (line) => options.log(node, line),
    onSpawn: (child) => options.onSpawn?.(node, child),
  });
}
