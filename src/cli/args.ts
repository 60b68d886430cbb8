import { parseArgs, type ParseArgsConfig } from "node:util";
import { LOG_LEVELS, type LogFormat, type LogLevel } from "../log/logger.ts";
import { isLoopbackHostname } from "../http/host.ts";

/** A usage mistake: printed with the command's --help hint and exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export const SERVE_OPTIONS = {
  project: { type: "string" },
  port: { type: "string" },
  host: { type: "string" },
  "data-dir": { type: "string" },
  store: { type: "string" },
  "log-level": { type: "string" },
  "log-format": { type: "string" },
  "admin-port": { type: "string" },
  "admin-host": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

export function parse<O extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export interface ServeSettings {
  projectDir: string;
  port: number;
  host: string;
  dataDir: string | undefined;
  /** "sqlite" or a postgres:// URL from --store / MCPGW_STORE (ahead of mcpgw.store and DATABASE_URL). */
  store?: string | undefined;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** The admin listener (GET /metrics): off unless a port is given. */
  admin?: AdminSettings;
}

type Env = Record<string, string | undefined>;

/**
 * Flags win over environment variables, which win over defaults. `interactive`: `mcpgw dev` writing to a
 * terminal, where the default log format is the human one; a pipe, a file or a service manager gets JSON.
 */
export function serveSettings(values: Record<string, string | boolean | undefined>, env: Env, interactive = false): ServeSettings {
  const str = (flag: string, envName: string) => (values[flag] as string | undefined) ?? env[envName];
  const portText = str("port", "PORT") ?? "9000";
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 0 || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535 (got "${portText}").`);
  const logLevel = (str("log-level", "MCPGW_LOG_LEVEL") ?? "info") as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")} (got "${logLevel}").`);
  const logFormat = (str("log-format", "MCPGW_LOG_FORMAT") ?? (interactive ? "pretty" : "json")) as LogFormat;
  if (logFormat !== "json" && logFormat !== "pretty") throw new UsageError(`--log-format must be json or pretty (got "${logFormat}").`);
  const host = str("host", "MCPGW_HOST") ?? "127.0.0.1";
  if (host.trim() === "") throw new UsageError("--host must not be empty.");
  const admin = adminSettings(str("admin-port", "MCPGW_ADMIN_PORT"), str("admin-host", "MCPGW_ADMIN_HOST"), env.MCPGW_ADMIN_TOKEN);
  return { projectDir: str("project", "MCPGW_PROJECT") ?? ".", port, host, dataDir: str("data-dir", "MCPGW_DATA_DIR"), store: str("store", "MCPGW_STORE"), logLevel, logFormat, ...(admin ? { admin } : {}) };
}

/**
 * The admin listener (docs/observability.md#the-admin-listener): a process setting like --port, not a
 * project one, since a reload cannot rebind a socket and whoever runs the process decides what it binds.
 */
export interface AdminSettings {
  readonly port: number;
  readonly host: string;
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  readonly token?: string;
}

/** Off (undefined) without a port. Off loopback a token is required: metrics name routes and upstreams. */
function adminSettings(portText: string | undefined, hostText: string | undefined, token: string | undefined): AdminSettings | undefined {
  if (portText === undefined || portText === "") return undefined;
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new UsageError(`--admin-port must be a number from 0 to 65535 (got "${portText}").`);
  const host = hostText?.trim() || "127.0.0.1";
  const bearer = token?.trim() || undefined;
  if (!bearer && !isLoopbackHostname(host)) {
    throw new UsageError(`--admin-host ${host} is not a loopback address: set MCPGW_ADMIN_TOKEN so that /metrics needs a bearer token, or keep the admin listener on 127.0.0.1.`);
  }
  return { port, host, ...(bearer ? { token: bearer } : {}) };
}

export const SERVE_HELP_OPTIONS = `Options:
  --project DIR        Zuplo project directory (env MCPGW_PROJECT; default: current directory)
  --port N             port to listen on (env PORT; default 9000; 0 picks a free port)
  --host ADDR          address to bind (env MCPGW_HOST; default 127.0.0.1)
  --data-dir DIR       where the SQLite store and generated secrets live
                       (env MCPGW_DATA_DIR; default: DIR/.mcpgw, or $STATE_DIRECTORY under systemd for start)
  --store URL          postgres://… to share one store among several gateways (env MCPGW_STORE; then
                       mcpgw.store in zuplo.jsonc, then DATABASE_URL; default sqlite: the data dir's file).
                       A shared store needs the fleet key in MCPGW_DATA_KEY (docs/fleet.md)
  --log-level LEVEL    trace|debug|info|warn|error|fatal|silent (env MCPGW_LOG_LEVEL; default info)
  --log-format FORMAT  json|pretty (env MCPGW_LOG_FORMAT; default json, one JSON object per line,
                       except pretty for \`mcpgw dev\` on a terminal)
  --admin-port N       serve Prometheus metrics on http://ADMIN-HOST:N/metrics (env MCPGW_ADMIN_PORT;
                       default: no admin listener, no metrics); env MCPGW_ADMIN_TOKEN requires
                       "Authorization: Bearer <token>" on it
  --admin-host ADDR    address of the admin listener (env MCPGW_ADMIN_HOST; default 127.0.0.1;
                       anything but loopback needs MCPGW_ADMIN_TOKEN)
  -h, --help           show this help

Traces: set OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) to export a span per
proxied call over OTLP/HTTP; see docs/observability.md.`;
