import pino from "pino";
import { redactFields, SecretRegistry } from "./redact.ts";

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
export type LogFormat = "json" | "pretty";
export const LOG_LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

export type LogFields = Record<string, unknown>;

/**
 * The gateway's log stream: one JSON object per line on stdout with `time`, `level`, `event` (snake_case),
 * `msg`, and fields. Every call names its event, so the stream can be filtered by event like analytics.
 */
export interface Logger {
  trace(event: string, msg: string, fields?: LogFields): void;
  debug(event: string, msg: string, fields?: LogFields): void;
  info(event: string, msg: string, fields?: LogFields): void;
  warn(event: string, msg: string, fields?: LogFields): void;
  error(event: string, msg: string, fields?: LogFields): void;
  child(bindings: LogFields): Logger;
  enabled(level: LogLevel): boolean;
  readonly secrets: SecretRegistry;
}

export interface LineSink {
  write(line: string): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  secrets?: SecretRegistry;
  /** Where lines go; stdout by default. Tests pass a collector. */
  sink?: LineSink;
}

const LEVEL_COLOR: Record<string, string> = { trace: "90", debug: "36", info: "32", warn: "33", error: "31", fatal: "35" };

/** Human rendering for `--log-format pretty`: `12:00:01 INFO  event  msg  k=v`. */
export function prettyLine(jsonLine: string, color: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const { time, level, event, msg, ...rest } = entry;
  const clock = typeof time === "string" ? time.slice(11, 19) : "";
  const lvl = String(level ?? "").toUpperCase().padEnd(5);
  const lvlText = color ? `\x1b[${LEVEL_COLOR[String(level)] ?? "0"}m${lvl}\x1b[0m` : lvl;
  const extras = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  return `${clock} ${lvlText} ${String(event ?? "")}  ${String(msg ?? "")}${extras ? "  " + extras : ""}\n`;
}

function stdoutSink(format: LogFormat): LineSink {
  if (format === "pretty") {
    const color = Boolean(process.stdout.isTTY);
    return { write: (line) => process.stdout.write(prettyLine(line, color)) };
  }
  // Asynchronous, coalescing writes: under load many lines share one write(2) instead of one each (the
  // hot path logs ~3 analytics events per request). What is buffered is flushed on exit; a SIGKILL can
  // lose at most the lines of the last few milliseconds, never the store's data.
  const dest = pino.destination({ dest: 1, sync: false, minLength: 0 });
  process.once("exit", () => {
    try {
      dest.flushSync();
    } catch {
      // stdout already closed: nothing left to save.
    }
  });
  return { write: (line) => dest.write(line) };
}

function wrap(p: pino.Logger, secrets: SecretRegistry): Logger {
  const at =
    (level: "trace" | "debug" | "info" | "warn" | "error") =>
    (event: string, msg: string, fields?: LogFields): void => {
      if (!p.isLevelEnabled(level)) return;
      p[level]({ event, ...fields }, msg);
    };
  return {
    trace: at("trace"),
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (bindings) => wrap(p.child(redactFields(bindings) as LogFields), secrets),
    enabled: (level) => level !== "silent" && p.isLevelEnabled(level),
    secrets,
  };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = options.secrets ?? new SecretRegistry();
  const sink = options.sink ?? stdoutSink(options.format ?? "json");
  const stream = { write: (line: string) => sink.write(secrets.scrub(line)) };
  const p = pino(
    {
      level: options.level ?? "info",
      base: undefined,
      messageKey: "msg",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => redactFields(obj) as Record<string, unknown>,
      },
    },
    stream,
  );
  return wrap(p, secrets);
}

/** Flattened error chain (§5.4): errName, errMessage, causeName, causeMessage, up to 4 levels. */
export function errorFields(err: unknown): LogFields {
  const out: LogFields = {};
  let cur: unknown = err;
  for (let depth = 0; depth < 4 && cur; depth++) {
    const prefix = depth === 0 ? "err" : depth === 1 ? "cause" : `cause${depth}`;
    if (cur instanceof Error) {
      out[`${prefix}Name`] = cur.name;
      out[`${prefix}Message`] = cur.message;
      cur = cur.cause;
    } else {
      out[`${prefix}Message`] = String(cur);
      break;
    }
  }
  return out;
}
