/**
 * `deno task kafka <tool> [options]`: Kafka's own command-line tools (the classes behind
 * kafka-topics.sh, kafka-consumer-groups.sh and friends), run from the jars `up` downloaded,
 * against KAFKA_BOOTSTRAP_SERVERS (default 127.0.0.1:9092). No Kafka scripts or Docker needed.
 */
import { installKafka } from "./kafka/install.ts";
import { listenForStop } from "@campus/shared/stop_signals";
import { javaCommand } from "./lib/tools.ts";
import { KAFKA_TOOLS, toolArguments } from "./kafka/tools.ts";

const [name, ...rest] = Deno.args;
const bootstrap = Deno.env.get("KAFKA_BOOTSTRAP_SERVERS") || "127.0.0.1:9092";

if (name === undefined || name === "--help" || name === "-h" || !Object.hasOwn(KAFKA_TOOLS, name)) {
  if (name !== undefined && !name.startsWith("-")) console.error(`Unknown tool "${name}".\n`);
  console.log(`deno task kafka <tool> [options]   (Kafka's own tools, against ${bootstrap})

${
    Object.entries(KAFKA_TOOLS).map(([tool, spec]) =>
      `  ${tool.padEnd(20)} ${spec.script.padEnd(30)} ${spec.summary}`
    ).join("\n")
  }

--bootstrap-server is added for you (KAFKA_BOOTSTRAP_SERVERS, else 127.0.0.1:9092) unless you
give one. "deno task kafka <tool> --help" shows the tool's own options. Examples:
  ./denow task kafka topics --describe
  ./denow task kafka consumer-groups --describe --group inventory-service
  ./denow task kafka console-consumer --topic inventory-events --from-beginning
  ./denow task kafka producer-perf-test --topic perf --num-records 100000 --record-size 200 --throughput -1`);
  Deno.exit(name === undefined || name.startsWith("-") ? 0 : 2);
}

const tool = KAFKA_TOOLS[name as keyof typeof KAFKA_TOOLS];
const java = javaCommand(Deno.env.get("JAVA_HOME"));
const cacheDir = Deno.env.get("KAFKA_CACHE_DIR") || ".cache/kafka";
const install = await installKafka({
  pomPath: "tasks/kafka/pom.xml",
  cacheDir,
  java,
  log: (line) => console.error(line),
});
// The tools log through log4j2: warnings and errors to stderr, so stdout is only their output.
const log4j = await Deno.realPath("tasks/kafka/tools-log4j2.properties");
const child = new Deno.Command(java, {
  args: [
    "-Xmx256m",
    "-XX:+UseSerialGC",
    `-Dlog4j2.configurationFile=${log4j}`,
    "-cp",
    `${install.libsDir}/*`,
    tool.mainClass,
    ...toolArguments(tool, rest, bootstrap),
  ],
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
// Ctrl-C reaches the JVM too (same terminal group); a SIGTERM or a parent's death is passed on,
// and a second request (a tool that does not stop) kills it.
const signalTool = (signal: Deno.Signal) => {
  try {
    child.kill(signal);
  } catch {
    // Already gone.
  }
};
listenForStop({
  onStop: () => signalTool("SIGTERM"),
  onForce: () => signalTool("SIGKILL"),
  watchParent: true,
});
Deno.exit((await child.status).code);
