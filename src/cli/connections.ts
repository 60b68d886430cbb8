import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadProject } from "../config/load.ts";
import { createServices } from "../services/compose.ts";
import type { Services } from "../services/services.ts";
import type { UpstreamConnectionRow } from "../store/repositories.ts";
import { connectionEndpoints, SHARED_SUBJECT, upstreamSpecs } from "../upstream/spec.ts";
import { mintTicket } from "../upstream/ticket.ts";
import { UsageError } from "./args.ts";

// `mcpgw connections`: the administrator's view of the upstream connection vault (issue 21). list and
// revoke work on the data dir directly (a running gateway notices within a minute, or at once on reload);
// connect prints a link that connects a shared-oauth upstream for everyone through the running gateway.

export const CONNECTIONS_HELP = `Usage: mcpgw connections <list|revoke|connect> [options]

  list     [--subject S] [--upstream ID]   the stored upstream connections (never their tokens)
  revoke   [--subject S] [--upstream ID]   delete connections (at least one filter); people connect again
  connect  ID [--origin URL]               print a link that connects the shared-oauth upstream ID for
                                           everyone; open it in a browser and sign in at the upstream

Options:
  --project DIR    Zuplo project directory (env MCPGW_PROJECT; default: current directory)
  --data-dir DIR   the gateway's data dir (env MCPGW_DATA_DIR; default: DIR/.mcpgw)
  --subject S      a person's subject ("" selects shared connections)
  --upstream ID    an upstream id (options.id, or the policy name after mcp-token-exchange-)
  --origin URL     the running gateway's public origin (default: mcpgw.publicOrigin, else http://127.0.0.1:9000)
  --json           print JSON
  -h, --help       show this help`;

const OPTIONS = {
  project: { type: "string" },
  "data-dir": { type: "string" },
  subject: { type: "string" },
  upstream: { type: "string" },
  origin: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type Out = { out: (s: string) => void; err: (s: string) => void };

const view = (r: UpstreamConnectionRow) => ({
  subject: r.subject === SHARED_SUBJECT ? null : r.subject,
  shared: r.subject === SHARED_SUBJECT,
  upstreamId: r.upstreamId,
  authProfileId: r.authProfileId,
  status: r.status,
  scope: r.scope,
  accessExpiresAt: r.accessExpiresAt === null ? null : new Date(r.accessExpiresAt).toISOString(),
  connectedBy: r.connectedBy,
  connectedAt: new Date(r.createdAt).toISOString(),
  updatedAt: new Date(r.updatedAt).toISOString(),
});

export async function connectionsCommand(argv: string[], io: Out): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "-h" || sub === "--help") return io.out(CONNECTIONS_HELP), sub === undefined ? 2 : 0;
  if (sub !== "list" && sub !== "revoke" && sub !== "connect") throw new UsageError(`unknown connections command "${sub}" (list, revoke or connect)`);
  const { values, positionals } = parseWithPositionals(rest);
  if (values.help) return io.out(CONNECTIONS_HELP), 0;
  const projectDir = resolve(values.project ?? process.env.MCPGW_PROJECT ?? ".");
  const dataDir = resolve(values["data-dir"] ?? process.env.MCPGW_DATA_DIR ?? `${projectDir}/.mcpgw`);
  const filter = { ...(values.subject !== undefined ? { subject: values.subject } : {}), ...(values.upstream !== undefined ? { upstreamId: values.upstream } : {}) };
  if (sub !== "connect" && positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (sub === "revoke" && Object.keys(filter).length === 0) throw new UsageError("revoke needs --subject, --upstream or both (it never deletes every connection at once)");

  // Beside a running gateway: the store is shared (SQLite WAL), the data dir's serving lock is not taken.
  const services = await createServices({ dataDir, mode: "start", log: { level: "silent" }, serving: false });
  try {
    if (sub === "list") {
      const rows = (await services.store.upstream.list(filter)).map(view);
      if (values.json) io.out(JSON.stringify({ connections: rows }, null, 2));
      else if (rows.length === 0) io.out("No upstream connections.");
      else for (const r of rows) io.out(`${r.upstreamId}\t${r.shared ? "(shared)" : r.subject}\t${r.status}\tconnected ${r.connectedAt} by ${r.connectedBy}\tscope ${r.scope ?? "-"}`);
      return 0;
    }
    if (sub === "revoke") {
      const removed = (await services.upstream.vault.remove(filter)).map(view);
      if (values.json) io.out(JSON.stringify({ revoked: removed }, null, 2));
      else io.out(`Revoked ${removed.length} connection${removed.length === 1 ? "" : "s"}.`);
      return 0;
    }
    return await connect(services, projectDir, positionals, values, io);
  } finally {
    await services.stop();
  }
}

function parseWithPositionals(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

async function connect(services: Services, projectDir: string, positionals: string[], values: { origin?: string; json?: boolean }, io: Out): Promise<number> {
  const id = positionals[0];
  if (!id || positionals.length > 1) throw new UsageError("connect takes exactly one upstream id");
  const loaded = loadProject(projectDir);
  if (!loaded.ok) {
    io.err(`mcpgw: the project in ${projectDir} is invalid; run \`mcpgw validate\`.`);
    return 1;
  }
  const specs = upstreamSpecs(loaded.config, () => "http://127.0.0.1/");
  const spec = specs.get(id);
  if (!spec) throw new UsageError(`no upstream "${id}" in the project (known: ${[...specs.keys()].join(", ") || "none"})`);
  if (spec.authMode !== "shared-oauth") throw new UsageError(`"${id}" uses ${spec.authMode}: each person connects it themselves; connect is for shared-oauth upstreams`);
  const origin = (values.origin ?? loaded.config.settings.publicOrigin ?? "http://127.0.0.1:9000").replace(/\/+$/, "");
  const operationId = spec.operationIds[0]!;
  // Holding the data-dir key is the administrator's credential here: the link needs no gateway session.
  const ticket = mintTicket(services.upstream.ticketKey, { subject: process.env.USER ? `cli:${process.env.USER}` : "cli", upstreamId: id, operationId, admin: true }, services.now());
  const url = `${connectionEndpoints(origin, loaded.config.settings.basePath, id).connect}?browserTicket=${ticket}&operationId=${encodeURIComponent(operationId)}&redirect=true`;
  if (values.json) io.out(JSON.stringify({ upstreamId: id, authProfileId: spec.authProfileId, connectUrl: url, expiresInSeconds: 600 }, null, 2));
  else io.out(`Open this link within 10 minutes to connect ${spec.displayName} for everyone (the gateway must be running at ${origin}):\n\n  ${url}\n`);
  return 0;
}
