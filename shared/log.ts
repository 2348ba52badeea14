/**
 * JSON-lines logging: one object per line on stdout, with `time`, `level`, `service` and `msg`.
 * @module
 */
/** Severity, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Extra fields on a log line (order_id, topic, partition, offset, ...). */
export type LogFields = Record<string, unknown>;

/** A structured logger bound to a service and optional context fields. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

const severity: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Options for {@linkcode createLogger}. */
export interface LoggerOptions {
  service: string;
  level?: LogLevel;
  /** Where lines go; stdout by default. */
  write?: (line: string) => void;
  now?: () => Date;
}

/** Creates a JSON-lines logger. */
export function createLogger(options: LoggerOptions): Logger {
  const threshold = severity[options.level ?? "info"];
  const write = options.write ?? ((line: string) => console.log(line));
  const now = options.now ?? (() => new Date());
  const build = (context: LogFields): Logger => {
    const emit = (level: LogLevel) => (msg: string, fields?: LogFields) => {
      if (severity[level] < threshold) return;
      const line = {
        time: now().toISOString(),
        level,
        service: options.service,
        msg,
        ...context,
        ...fields,
      };
      write(JSON.stringify(line, errorReplacer));
    };
    return {
      debug: emit("debug"),
      info: emit("info"),
      warn: emit("warn"),
      error: emit("error"),
      child: (fields) => build({ ...context, ...fields }),
    };
  };
  return build({});
}

// Error objects have no enumerable fields, so JSON.stringify would print `{}`.
function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return {
      name: value.name,
      message: value.message,
      ...(value.cause ? { cause: value.cause } : {}),
    };
  }
  return value;
}
