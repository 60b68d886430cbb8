import { join, resolve } from "node:path";
import { openStore, storeExists } from "../store/open.ts";
import type { Store } from "../store/repositories.ts";
import { UsageError } from "./args.ts";

// What the admin commands (tokens, clients, doctor) share: where the data dir is, opening its store
// without creating one, and printing rows as a table or as JSON.

export const DATA_DIR_OPTIONS = {
  project: { type: "string" },
  "data-dir": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export const DATA_DIR_HELP = `  --data-dir DIR   the gateway's data dir (env MCPGW_DATA_DIR; default $STATE_DIRECTORY when set,
                   as under systemd, else PROJECT/.mcpgw)
  --project DIR    the project whose .mcpgw/ to use (env MCPGW_PROJECT; default: current directory)
  --json           print JSON instead of a table
  -h, --help       show this help`;

type Env = Record<string, string | undefined>;

/** The data dir `mcpgw start` would use with the same flags and environment. */
export function adminDataDir(values: { project?: string; "data-dir"?: string }, env: Env): string {
  const explicit = values["data-dir"] ?? env.MCPGW_DATA_DIR ?? env.STATE_DIRECTORY;
  return resolve(explicit ?? join(values.project ?? env.MCPGW_PROJECT ?? ".", ".mcpgw"));
}

/** The data dir's store; a UsageError when there is none (a wrong --data-dir must not create an empty one). */
export async function openExistingStore(dataDir: string): Promise<Store> {
  if (!storeExists(dataDir)) throw new UsageError(`no mcpgw store in ${dataDir}: pass the gateway's --data-dir (or --project), as it was started with.`);
  return openStore(dataDir);
}

/** ISO 8601 to the second, for tables and JSON alike. */
export const isoTime = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z"));

/** Rows as aligned columns under upper-case headings; "-" for an empty cell. */
export function formatTable(columns: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  const cells = [columns.map((c) => c.toUpperCase()), ...rows.map((r) => r.map((v) => (v === null || v === undefined || v === "" ? "-" : String(v))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]!))).join("  ")).join("\n");
}
