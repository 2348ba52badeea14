/** Kafka's command-line tools by the names of their scripts, and how they are called. Pure. */

/** One tool: the class its script runs and how it takes the cluster's address. */
export interface KafkaTool {
  /** The script of a Kafka distribution that runs this class. */
  script: string;
  mainClass: string;
  summary: string;
  /** How the tool is told where the cluster is; none for offline tools. */
  bootstrap: "--bootstrap-server" | "none";
}

/** The tools, named as their scripts without `kafka-` and `.sh`. */
export const KAFKA_TOOLS = {
  "topics": {
    script: "kafka-topics.sh",
    mainClass: "org.apache.kafka.tools.TopicCommand",
    summary: "list, describe, create, alter topics",
    bootstrap: "--bootstrap-server",
  },
  "consumer-groups": {
    script: "kafka-consumer-groups.sh",
    mainClass: "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
    summary: "groups, their members, offsets and lag; reset offsets",
    bootstrap: "--bootstrap-server",
  },
  "console-consumer": {
    script: "kafka-console-consumer.sh",
    mainClass: "org.apache.kafka.tools.consumer.ConsoleConsumer",
    summary: "print a topic's messages",
    bootstrap: "--bootstrap-server",
  },
  "console-producer": {
    script: "kafka-console-producer.sh",
    mainClass: "org.apache.kafka.tools.ConsoleProducer",
    summary: "send lines from stdin as messages",
    bootstrap: "--bootstrap-server",
  },
  "producer-perf-test": {
    script: "kafka-producer-perf-test.sh",
    mainClass: "org.apache.kafka.tools.ProducerPerformance",
    summary: "Kafka's own producer throughput and latency",
    bootstrap: "--bootstrap-server",
  },
  "consumer-perf-test": {
    script: "kafka-consumer-perf-test.sh",
    mainClass: "org.apache.kafka.tools.ConsumerPerformance",
    summary: "Kafka's own consumer throughput",
    bootstrap: "--bootstrap-server",
  },
  "get-offsets": {
    script: "kafka-get-offsets.sh",
    mainClass: "org.apache.kafka.tools.GetOffsetShell",
    summary: "a topic's offsets per partition",
    bootstrap: "--bootstrap-server",
  },
  "transactions": {
    script: "kafka-transactions.sh",
    mainClass: "org.apache.kafka.tools.TransactionsCommand",
    summary: "list, describe, find hanging and abort transactions",
    bootstrap: "--bootstrap-server",
  },
  "configs": {
    script: "kafka-configs.sh",
    mainClass: "org.apache.kafka.tools.ConfigCommand",
    summary: "describe and alter topic and broker settings",
    bootstrap: "--bootstrap-server",
  },
  "metadata-quorum": {
    script: "kafka-metadata-quorum.sh",
    mainClass: "org.apache.kafka.tools.MetadataQuorumCommand",
    summary: "the KRaft quorum's status",
    bootstrap: "--bootstrap-server",
  },
  "dump-log": {
    script: "kafka-dump-log.sh",
    mainClass: "org.apache.kafka.tools.DumpLogSegments",
    summary: "decode log segment files (offline, e.g. a chaos run's broker-data/)",
    bootstrap: "none",
  },
} as const satisfies Record<string, KafkaTool>;

/** Options that say where the cluster is, or read a file that may: then no address is added. */
const ADDRESS_OPTIONS = [
  "--bootstrap-server",
  "--bootstrap-servers",
  "--bootstrap-controller",
  "--broker-list",
  "--command-config",
  "--consumer.config",
  "--producer.config",
  "--consumer-config",
  "--producer-config",
];

/** The tool's arguments, with the cluster's address added unless given or asked for help. */
export function toolArguments(
  tool: KafkaTool,
  args: readonly string[],
  bootstrap: string,
): string[] {
  if (tool.bootstrap === "none") return [...args];
  const given = args.some((arg, index) =>
    ADDRESS_OPTIONS.some((option) => arg === option || arg.startsWith(`${option}=`)) ||
    arg === "--help" || arg === "--version" ||
    // bootstrap.servers among the properties given on the command line.
    (/^--(producer-props|command-property|consumer-property|producer-property)$/.test(arg) &&
      args.slice(index + 1).some((value) => value.startsWith("bootstrap.servers=")))
  );
  return given ? [...args] : [...args, tool.bootstrap, bootstrap];
}
