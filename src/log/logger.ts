import { writeSync } from "node:fs";
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
  return new CoalescingWriter(1);
}

/** How long to wait before writing again to a full non-blocking pipe. */
const BUSY_RETRY_MS = 100;
const busyWait = new Int32Array(new SharedArrayBuffer(4));

/**
 * Coalescing, synchronous writes: the lines of one event-loop turn go out together in one write(2), on
 * the event loop. Measured, sonic-boom (pino.destination) spent ~5 µs per line, most of it re-measuring
 * its pending buffer, and its writes from the thread pool could interleave with the exit flush; this
 * spends under 1 and keeps lines whole and in order. A non-blocking pipe that is full keeps the rest
 * for a retry; a blocking one holds the loop until its reader catches up, as Node's stdout does on
 * Linux. What is buffered is written on exit; a SIGKILL can lose at most the current turn's lines.
 */
class CoalescingWriter implements LineSink {
  private pending: string[] = [];
  /** Bytes a full pipe has not taken yet; they go out before anything newer. */
  private backlog: Buffer | undefined;
  private scheduled = false;

  constructor(private readonly fd: number) {
    process.once("exit", () => this.drain(true));
  }

  write(line: string): void {
    this.pending.push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushTurn);
    }
  }

  private readonly flushTurn = (): void => {
    this.scheduled = false;
    this.drain(false);
  };

  /** Writes the backlog, then the pending lines. `wait`: on a full pipe, wait instead of retrying later. */
  private drain(wait: boolean): void {
    if (this.pending.length > 0) {
      const next = Buffer.from(this.pending.join(""));
      this.pending = [];
      this.backlog = this.backlog ? Buffer.concat([this.backlog, next]) : next;
    }
    while (this.backlog) {
      try {
        const written = writeSync(this.fd, this.backlog);
        this.backlog = written < this.backlog.length ? this.backlog.subarray(written) : undefined;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "EAGAIN" && code !== "EBUSY") {
          // stdout is closed (EPIPE): nobody reads the log any more; serving goes on.
          this.backlog = undefined;
          return;
        }
        if (wait) Atomics.wait(busyWait, 0, 0, BUSY_RETRY_MS);
        else {
          if (!this.scheduled) {
            this.scheduled = true;
            setTimeout(this.flushTurn, BUSY_RETRY_MS);
          }
          return;
        }
      }
    }
  }
}

const RANK: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Number.POSITIVE_INFINITY };

/** JSON.stringify that never throws: a cycle becomes "[Circular]", a bigint its decimal string. */
function stringify(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    const seen = new WeakSet<object>();
    return JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === "bigint") return v.toString();
      if (typeof v === "object" && v !== null) {
        if (seen.has(v)) return "[Circular]";
        seen.add(v);
      }
      return v;
    });
  }
}

/** `,"k":v,…` for the members of a field object (redacted); "" when it has none to print. */
function members(fields: LogFields): string {
  const json = stringify(redactFields(fields));
  return json.length > 2 ? `,${json.slice(1, -1)}` : "";
}

/** One process-wide stream: level, clock, redaction and the sink, shared by every child logger. */
class Stream {
  private lastMs = 0;
  private lastTime = "";

  constructor(
    readonly rank: number,
    readonly secrets: SecretRegistry,
    private readonly sink: LineSink,
  ) {}

  /** `"time"` as ISO 8601 with milliseconds; formatted once per millisecond, however many lines share it. */
  private time(): string {
    const now = Date.now();
    if (now !== this.lastMs) {
      this.lastMs = now;
      this.lastTime = new Date(now).toISOString();
    }
    return this.lastTime;
  }

  // Member order: level, time, the child's bindings, event, the fields, msg. A field repeating a binding
  // appears twice; JSON readers take the later one.
  write(level: string, bindings: string, event: string, msg: string, fields: LogFields | undefined): void {
    const line = `{"level":"${level}","time":"${this.time()}"${bindings},"event":${stringify(event)}${fields ? members(fields) : ""},"msg":${stringify(msg)}}\n`;
    this.sink.write(this.secrets.scrub(line));
  }
}

class StreamLogger implements Logger {
  /** The bindings as JSON members, rendered on the first line written (most request loggers never write). */
  private rendered: string | undefined;

  constructor(
    private readonly stream: Stream,
    private readonly inherited: string,
    private readonly bindings: LogFields | undefined,
  ) {}

  get secrets(): SecretRegistry {
    return this.stream.secrets;
  }

  private at(level: LogLevel, event: string, msg: string, fields: LogFields | undefined): void {
    if (RANK[level] < this.stream.rank) return;
    this.stream.write(level, this.chindings(), event, msg, fields);
  }

  private chindings(): string {
    return (this.rendered ??= this.bindings ? this.inherited + members(this.bindings) : this.inherited);
  }

  trace(event: string, msg: string, fields?: LogFields): void {
    this.at("trace", event, msg, fields);
  }
  debug(event: string, msg: string, fields?: LogFields): void {
    this.at("debug", event, msg, fields);
  }
  info(event: string, msg: string, fields?: LogFields): void {
    this.at("info", event, msg, fields);
  }
  warn(event: string, msg: string, fields?: LogFields): void {
    this.at("warn", event, msg, fields);
  }
  error(event: string, msg: string, fields?: LogFields): void {
    this.at("error", event, msg, fields);
  }
  child(bindings: LogFields): Logger {
    return new StreamLogger(this.stream, this.chindings(), bindings);
  }
  enabled(level: LogLevel): boolean {
    return level !== "silent" && RANK[level] >= this.stream.rank;
  }
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = options.secrets ?? new SecretRegistry();
  const sink = options.sink ?? stdoutSink(options.format ?? "json");
  return new StreamLogger(new Stream(RANK[options.level ?? "info"], secrets, sink), "", undefined);
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
