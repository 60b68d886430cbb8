import { join } from "node:path";
import type { ObserverSink } from "../../src/observe/observer.ts";
import { serve, type RunningGateway } from "../../src/cli/serve.ts";
import type { LogLevel } from "../../src/log/logger.ts";
import { checkLogLine } from "./log-lines.ts";
import { writeProject, type ProjectFiles } from "./project.ts";

// The gateway under test, in process: a temp Zuplo project served by the real serve() (start mode) on
// an ephemeral loopback port, with the JSON log lines it writes captured so tests can assert on
// analytics events.

export type LogEntry = Record<string, unknown> & { event?: string; level?: string; msg?: string };

export interface GatewayUnderTest {
  readonly url: string;
  readonly projectDir: string;
  /** Every log line written while this gateway ran, parsed. */
  readonly logs: LogEntry[];
  /** Log entries with this `event`. */
  events(event: string): LogEntry[];
  /** The first entry (seen or future) matching `pred`. */
  waitForLog(pred: (entry: LogEntry) => boolean, timeoutMs?: number): Promise<LogEntry>;
  stop(): Promise<void>;
}

export interface GatewayOptions extends ProjectFiles {
  /** Environment the project's $env(...) references resolve against (not process.env). */
  env?: Record<string, string>;
  logLevel?: LogLevel;
  /** Event sinks besides the log stream. */
  eventSinks?: readonly ObserverSink[];
  /** The port to listen on (default: any free one). */
  port?: number;
}

export async function startGateway(options: GatewayOptions): Promise<GatewayUnderTest> {
  const projectDir = writeProject(options);
  const logs: LogEntry[] = [];
  const waiters: { pred: (e: LogEntry) => boolean; resolve: (e: LogEntry) => void }[] = [];
  const sink = {
    write(line: string) {
      checkLogLine(line, `gateway for ${projectDir}`);
      const entry = JSON.parse(line) as LogEntry;
      logs.push(entry);
      for (const w of [...waiters]) {
        if (w.pred(entry)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(entry);
        }
      }
    },
  };
  let running: RunningGateway;
  try {
    running = await serve(
      { projectDir, port: options.port ?? 0, host: "127.0.0.1", dataDir: join(projectDir, ".mcpgw"), logLevel: options.logLevel ?? "info", logFormat: "json" },
      "start",
      options.env ?? {},
      { sink, ...(options.eventSinks ? { eventSinks: options.eventSinks } : {}) },
    );
  } catch (err) {
    throw new Error(`the gateway did not start: ${(err as Error).message}\n${logs.map((l) => JSON.stringify(l)).join("\n")}`);
  }
  return {
    url: running.url,
    projectDir,
    logs,
    events: (event) => logs.filter((l) => l.event === event),
    waitForLog(pred, timeoutMs = 5_000) {
      const seen = logs.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching log entry within ${timeoutMs} ms; got:\n${logs.map((l) => JSON.stringify(l)).join("\n")}`)), timeoutMs);
        waiters.push({ pred, resolve: (e) => (clearTimeout(timer), resolve(e)) });
      });
    },
    async stop() {
      await running.stop();
    },
  };
}

/** POST one JSON-RPC message the way an MCP client does (Streamable HTTP headers). */
export function postRpc(url: string, message: unknown, headers: Record<string, string> = {}, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body: typeof message === "string" ? message : JSON.stringify(message),
    ...init,
  });
}

/** A policies.json entry for one of the built-in policies. */
export function policy(name: string, policyType: string, exportName: string, options: object): object {
  return { name, policyType, handler: { module: "$import(@zuplo/runtime)", export: exportName, options } };
}
