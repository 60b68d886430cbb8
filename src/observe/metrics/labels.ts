import type { McpCall } from "../../mcp/jsonrpc.ts";

// Label values for the Prometheus series. Every label a client can influence is bounded here, because
// each distinct value is a new time series held in memory for the life of the process (and in the
// Prometheus server for its retention): no subject ids, client ids or request ids ever become labels.

/** What a label becomes once its cap is reached, or when the raw value is not a plausible name. */
export const OTHER = "_other";

// The methods of MCP 2025-11-25 (schema.ts ClientRequest/ClientNotification/ClientResult). Anything
// else a client sends is forwarded, but counted as "_other".
const MCP_METHODS: ReadonlySet<string> = new Set([
  "initialize",
  "ping",
  "tools/list",
  "tools/call",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "resources/subscribe",
  "resources/unsubscribe",
  "prompts/list",
  "prompts/get",
  "completion/complete",
  "logging/setLevel",
  "tasks/get",
  "tasks/list",
  "tasks/result",
  "tasks/cancel",
  "notifications/initialized",
  "notifications/cancelled",
  "notifications/progress",
  "notifications/roots/list_changed",
  "notifications/tasks/status",
]);

/** The `method` label: a known MCP method, "batch", "response" (a client's answer to a server request), or "_other". */
export function methodLabel(call: McpCall): string {
  if (call.kind === "batch") return "batch";
  if (call.mcpMethod === undefined) return "response";
  return MCP_METHODS.has(call.mcpMethod) ? call.mcpMethod : OTHER;
}

// MCP 2025-11-25 §Tools "Tool names": 1–128 characters of A–Z a–z 0–9 _ - . (prompts follow suit).
const NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * A label whose values come from clients (capability names, reason codes): the first `limit` distinct
 * values are kept as they are, every later one becomes "_other". The set is per process; a restart
 * starts it afresh. A value that does not look like a name is "_other" at once.
 */
export class CappedLabel {
  private readonly seen = new Set<string>();

  constructor(
    private readonly limit: number,
    private readonly pattern: RegExp = NAME,
  ) {}

  value(raw: string | undefined): string {
    if (raw === undefined || !this.pattern.test(raw)) return OTHER;
    if (this.seen.has(raw)) return raw;
    if (this.seen.size >= this.limit) return OTHER;
    this.seen.add(raw);
    return raw;
  }
}
