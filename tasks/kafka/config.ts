/** The embedded broker's configuration files and cluster id: pure functions, no I/O. */

/** One node of a cluster: its id and controller port (all on loopback). */
export interface Voter {
  id: number;
  controllerPort: number;
}

/** Replicas per topic and how many must be in sync for a write, in a cluster of `nodes`. */
export function replicationFor(nodes: number): { replicas: number; minInSync: number } {
  const replicas = Math.min(3, nodes);
  return { replicas, minInSync: replicas >= 3 ? 2 : 1 };
}

/**
 * A node's settings. Alone (the default), it is broker and controller with internal topics at one
 * replica, the single-node trap handled. In a cluster of `voters`, every node is broker and
 * controller; topics get three replicas (or as many as there are nodes) and need two in sync to
 * take a write, internal topics (offsets, transaction state) included.
 */
export function serverProperties(
  options: {
    port: number;
    controllerPort: number;
    logDir: string;
    nodeId?: number;
    voters?: readonly Voter[];
  },
): string {
  const { port, controllerPort, logDir } = options;
  const nodeId = options.nodeId ?? 1;
  const voters = options.voters ?? [{ id: nodeId, controllerPort }];
  const { replicas, minInSync } = replicationFor(voters.length);
  return [
    "process.roles=broker,controller",
    `node.id=${nodeId}`,
    `controller.quorum.voters=${
      voters.map((voter) => `${voter.id}@127.0.0.1:${voter.controllerPort}`).join(",")
    }`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    "inter.broker.listener.name=PLAINTEXT",
    "controller.listener.names=CONTROLLER",
    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    `log.dirs=${logDir}`,
    "num.partitions=1",
    `default.replication.factor=${replicas}`,
    `min.insync.replicas=${minInSync}`,
    `offsets.topic.replication.factor=${replicas}`,
    `transaction.state.log.replication.factor=${replicas}`,
    `transaction.state.log.min.isr=${minInSync}`,
    // Consumers join at once instead of waiting 3 s for more members.
    "group.initial.rebalance.delay.ms=0",
    // After a crash (kill -9) the restarted node's controller waits out the dead incarnation's
    // broker session before the broker may register again: 9 s by default, 12 s to come back in
    // all. The heartbeats go to the active controller over loopback, so 4 s (4 beats of 1 s)
    // cannot be missed by a healthy node; a crashed broker is back in about 5 s, and in a
    // cluster a dead one loses its leaderships after 4 s.
    "broker.session.timeout.ms=4000",
    "broker.heartbeat.interval.ms=1000",
    // Topics are created explicitly with their partition counts (shared/topics.ts).
    "auto.create.topics.enable=false",
    "",
  ].join("\n");
}

/**
 * Lines every healthy single-node broker prints at WARN or ERROR although nothing is wrong, so
 * that a WARN or ERROR line from the broker means something:
 * - "Performing controller activation" (WARN): the controller saying it became active, on every
 *   start, with "The metadata log appears to be empty" on the first.
 * - "Unexpected error handling request RequestHeader(apiKey=CONTROLLER_REGISTRATION" (ERROR, with
 *   a NotControllerException): on a restart, the node registers its controller before its own
 *   controller is active again; the registration is retried and succeeds. Were it never to, the
 *   broker would not become ready and `up` would say so.
 * - "Attempting to close NetworkClient that has already been closed" (WARN): a controlled shutdown
 *   closing the controller channel twice.
 */
const BENIGN_LINES = [
  "Performing controller activation",
  // "." for the parenthesis: the file is a Java properties file, where backslashes are escapes.
  "Unexpected error handling request RequestHeader.apiKey=CONTROLLER_REGISTRATION",
  "Attempting to close NetworkClient that has already been closed",
];

/** Broker logging: warnings and the start/stop milestones, one line each, on stdout. */
export const LOG4J2_PROPERTIES = [
  "status = warn",
  "shutdownHook = disable",
  "appender.console.type = Console",
  "appender.console.name = STDOUT",
  "appender.console.layout.type = PatternLayout",
  "appender.console.layout.pattern = %d{HH:mm:ss.SSS} %-5p [%c{1}] %m%n",
  "appender.console.filter.benign.type = RegexFilter",
  `appender.console.filter.benign.regex = .*(${BENIGN_LINES.join("|")}).*`,
  "appender.console.filter.benign.onMatch = DENY",
  "appender.console.filter.benign.onMismatch = NEUTRAL",
  "rootLogger.level = warn",
  "rootLogger.appenderRef.stdout.ref = STDOUT",
  "logger.server.name = kafka.server.KafkaRaftServer",
  "logger.server.level = info",
  "",
].join("\n");

/**
 * A new KRaft cluster id: 16 random bytes, base64url without padding, as `random-uuid` prints.
 * Never starting with "-": the storage tool would read such an id as an option (Kafka's own
 * Uuid.randomUuid() skips those for the same reason).
 */
export function newClusterId(): string {
  while (true) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    const id = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
      .replace(/=+$/, "");
    if (!id.startsWith("-")) return id;
  }
}
