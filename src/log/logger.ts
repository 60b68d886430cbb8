import diagnosticsChannel from "node:diagnostics_channel";
import { writeSync } from "node:fs";
import pino from "pino";
// Before the first line is written: pino otherwise traces every line under Bun (see the file).
import "./tracing-channel-shim.ts";
import { fieldMembers, formatLine, isoTimeMember, NOT_BOUND, scalarMembers } from "./line-format.ts";
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

/**
 * Characters a terminal acts on rather than shows: C0 and C1 controls (ESC and CSI start escape sequences
 * that recolour, retitle or rewrite the screen), line and paragraph separators, and the bidirectional
 * overrides and isolates that reorder what is shown (issue 18: the JSON escapes C0, pretty printed them raw).
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `s` with every character a terminal would act on written as a visible \uXXXX escape. */
export function printable(s: string): string {
  return s.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Human rendering for `--log-format pretty`: `12:00:01 INFO  event  msg  k=v`. Only our own colour codes reach the terminal raw. */
export function prettyLine(jsonLine: string, color: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return `${printable(jsonLine.replace(/\n$/, ""))}\n`;
  }
  const { time, level, event, msg, ...rest } = entry;
  const clock = typeof time === "string" ? printable(time.slice(11, 19)) : "";
  const lvl = printable(String(level ?? "").toUpperCase().padEnd(5));
  const lvlText = color ? `\x1b[${LEVEL_COLOR[String(level)] ?? "0"}m${lvl}\x1b[0m` : lvl;
  const extras = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  return `${clock} ${lvlText} ${printable(String(event ?? ""))}  ${printable(String(msg ?? ""))}${extras ? "  " + printable(extras) : ""}\n`;
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

/** How a logger writes a line itself when every value is a scalar (see line-format.ts). */
interface FastPath {
  readonly sink: LineSink;
  readonly secrets: SecretRegistry;
  /** The lowest level written, as pino numbers levels. */
  readonly threshold: number;
}

const pinoTracing = diagnosticsChannel.tracingChannel("pino_asJson");

const LEVEL_VALUES = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/**
 * A logger over pino whose children are created lazily: the per-request logger (bound to a requestId)
 * is one small object, and costs pino nothing until the request writes a line through it. A line whose
 * bindings and fields are all scalars is formatted by line-format.ts (byte-identical, several times
 * cheaper); anything else goes through pino.
 */
class GatewayLogger implements Logger {
  private own: pino.Logger | undefined;
  /** The bindings as line members (`,"k":v…`), undefined when one is not a scalar; null until first use. */
  private members: string | undefined | null = null;
  /** The same, scrubbed (for infoMembers lines, which are not scrubbed as a whole); null until first use. */
  private scrubbedMembers: string | undefined | null = null;

  constructor(
    private readonly fast: FastPath,
    private readonly root: pino.Logger,
    private readonly parent: GatewayLogger | undefined,
    private readonly bindings: LogFields | undefined,
  ) {}

  get secrets(): SecretRegistry {
    return this.fast.secrets;
  }

  private pino(): pino.Logger {
    if (this.own === undefined) {
      const above = this.parent ? this.parent.pino() : this.root;
      this.own = this.bindings ? above.child(redactFields(this.bindings) as LogFields) : above;
    }
    return this.own;
  }

  private bound(): string | undefined {
    if (this.members === null) {
      const above = this.parent ? this.parent.bound() : "";
      const mine = this.bindings ? scalarMembers(this.bindings, NOT_BOUND) : "";
      this.members = above === undefined || mine === undefined ? undefined : above + mine;
    }
    return this.members;
  }

  private write(level: "trace" | "debug" | "info" | "warn" | "error", event: string, msg: string, fields: LogFields | undefined): void {
    if (LEVEL_VALUES[level] < this.fast.threshold) return;
    // Whoever traces pino's serialisation (diagnostics_channel "pino_asJson") still sees every line.
    const prefix = pinoTracing.hasSubscribers ? undefined : this.bound();
    const rest = prefix === undefined ? undefined : fieldMembers(fields);
    if (rest !== undefined) {
      this.fast.sink.write(this.fast.secrets.scrub(formatLine(level, isoTimeMember(), prefix!, event, rest, msg)));
      return;
    }
    this.pino()[level]({ event, ...fields }, msg);
  }

  trace(event: string, msg: string, fields?: LogFields): void {
    this.write("trace", event, msg, fields);
  }
  debug(event: string, msg: string, fields?: LogFields): void {
    this.write("debug", event, msg, fields);
  }
  info(event: string, msg: string, fields?: LogFields): void {
    this.write("info", event, msg, fields);
  }
  warn(event: string, msg: string, fields?: LogFields): void {
    this.write("warn", event, msg, fields);
  }
  error(event: string, msg: string, fields?: LogFields): void {
    this.write("error", event, msg, fields);
  }

  /** See writeRenderedInfo. */
  infoMembers(event: string, msg: string, members: string): void {
    if (LEVEL_VALUES.info < this.fast.threshold) return;
    const prefix = pinoTracing.hasSubscribers ? undefined : this.scrubbedBound();
    if (prefix !== undefined) {
      const { secrets } = this.fast;
      this.fast.sink.write(`{"level":"info"${isoTimeMember()}${prefix},"event":${secrets.literal(event)}${members},"msg":${secrets.literal(msg)}}\n`);
      return;
    }
    // Someone traces pino, or a binding is not a scalar: pino writes it, from the members as an object.
    this.pino().info({ event, ...(JSON.parse(`{${members.slice(1)}}`) as LogFields) }, msg);
  }

  /** The bindings' members, scrubbed once per logger (a request's logger writes one line). */
  private scrubbedBound(): string | undefined {
    if (this.scrubbedMembers === null) {
      const bound = this.bound();
      this.scrubbedMembers = bound === undefined ? undefined : this.fast.secrets.scrub(bound);
    }
    return this.scrubbedMembers;
  }

  child(bindings: LogFields): Logger {
    return new GatewayLogger(this.fast, this.root, this, bindings);
  }

  enabled(level: LogLevel): boolean {
    return level !== "silent" && LEVEL_VALUES[level] >= this.fast.threshold;
  }
}

/**
 * An info line whose fields are already JSON members (`,"k":v…`), written by a fixed-shape renderer: the
 * analytics line every proxied call writes (src/observe/log-sink.ts, its only caller). The renderer's
 * keys are its own, never secret-named, and its string values come from `secrets.literal()`, scrubbed;
 * so the line is not scrubbed again as a whole. Not part of the Logger interface: a fast path fenced
 * inside the log sink. Any other Logger gets the members as ordinary fields.
 */
export function writeRenderedInfo(log: Logger, event: string, msg: string, members: string): void {
  if (log instanceof GatewayLogger) log.infoMembers(event, msg, members);
  else if (log.enabled("info")) log.info(event, msg, JSON.parse(`{${members.slice(1)}}`) as LogFields);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = options.secrets ?? new SecretRegistry();
  const sink = options.sink ?? stdoutSink(options.format ?? "json");
  const root = pino(
    {
      level: options.level ?? "info",
      base: undefined,
      messageKey: "msg",
      // The same time member as the direct path (line-format.ts): identical lines either way.
      timestamp: isoTimeMember,
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => redactFields(obj) as Record<string, unknown>,
      },
    },
    // pino formats; our sink writes (CoalescingWriter: cheaper than sonic-boom per line) after the
    // redaction layer has scrubbed the finished line.
    { write: (line: string) => sink.write(secrets.scrub(line)) },
  );
  return new GatewayLogger({ sink, secrets, threshold: root.levelVal }, root, undefined, undefined);
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
      // SQLite's and Node's errors carry a stable code (SQLITE_FULL, EROFS): what an operator greps for.
      const code = (cur as { code?: unknown }).code;
      if (typeof code === "string") out[`${prefix}Code`] = code;
      cur = cur.cause;
    } else {
      out[`${prefix}Message`] = String(cur);
      break;
    }
  }
  return out;
}
