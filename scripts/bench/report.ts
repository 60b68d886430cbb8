import type { LoadResult } from "./load.ts";
import { socketErrorTotal } from "./load.ts";
import type { BenchMethod } from "./messages.ts";
import type { TargetId } from "./targets.ts";

// Results → numbers people compare → markdown. Pure: no I/O, no clock. Every figure is the median over
// the runs of the matrix, with the spread (half the min–max range, relative to the median) beside it,
// because the machine is shared and noisy. Ratios compare medians at the same method and concurrency.

/** One bounded load against one target: what the generator saw and what the target process spent. */
export interface CellResult {
  readonly run: number;
  readonly target: TargetId;
  readonly method: BenchMethod;
  readonly connections: number;
  readonly load: LoadResult;
  /** utime+stime of the target's process tree during the cell (warm-up excluded), µs. */
  readonly cpuMicros: number;
  /** VmRSS of the target's process tree right after the cell, KiB. */
  readonly rssKb: number;
}

export interface IdentityCheck {
  readonly method: BenchMethod;
  readonly identical: boolean;
  readonly detail: string;
}

export interface TargetSummary {
  readonly id: TargetId;
  readonly label: string;
  readonly role: "direct" | "proxy";
  readonly what: string;
  readonly baseline: TargetId;
  readonly upstream: string;
  readonly skipped?: string;
  readonly notes: readonly string[];
  readonly identity: readonly IdentityCheck[];
}

export interface Stat {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface AggregateRow {
  readonly target: TargetId;
  readonly method: BenchMethod;
  readonly connections: number;
  readonly runs: number;
  readonly rps: Stat;
  readonly p50Ms: Stat;
  readonly p99Ms: Stat;
  /** CPU of the target process per completed request, µs. */
  readonly cpuPerRequestUs: Stat;
  readonly rssMiB: Stat;
  /** Median p50 minus the baseline's median p50 (ms); undefined for the baseline itself. */
  readonly addedP50Ms?: number;
  /** req/s relative to the baseline (direct), to nginx and to the naive hono proxy (same upstream). */
  readonly vsDirect?: number;
  readonly vsNginx?: number;
  readonly vsHono?: number;
  /** CPU per request relative to nginx and to the hono proxy. */
  readonly cpuVsNginx?: number;
  readonly cpuVsHono?: number;
  readonly non2xx: number;
  readonly socketErrors: number;
  readonly requests: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function stat(values: readonly number[]): Stat {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** Half the min–max range relative to the median, in percent. */
export function spreadPercent(s: Stat): number {
  return s.median === 0 ? 0 : ((s.max - s.min) / 2 / Math.abs(s.median)) * 100;
}

const key = (target: string, method: string, connections: number) => `${target} ${method} ${connections}`;

export function aggregate(cells: readonly CellResult[], targets: readonly TargetSummary[]): AggregateRow[] {
  const groups = new Map<string, CellResult[]>();
  for (const c of cells) {
    const k = key(c.target, c.method, c.connections);
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  const base = new Map<string, Omit<AggregateRow, "addedP50Ms" | "vsDirect" | "vsNginx" | "vsHono" | "cpuVsNginx" | "cpuVsHono">>();
  for (const [k, group] of groups) {
    const first = group[0]!;
    base.set(k, {
      target: first.target,
      method: first.method,
      connections: first.connections,
      runs: group.length,
      rps: stat(group.map((c) => c.load.rps)),
      p50Ms: stat(group.map((c) => c.load.p50Ms)),
      p99Ms: stat(group.map((c) => c.load.p99Ms)),
      cpuPerRequestUs: stat(group.map((c) => (c.load.requests > 0 ? c.cpuMicros / c.load.requests : Number.NaN))),
      rssMiB: stat(group.map((c) => c.rssKb / 1024)),
      non2xx: group.reduce((n, c) => n + c.load.non2xx, 0),
      socketErrors: group.reduce((n, c) => n + socketErrorTotal(c.load.socketErrors), 0),
      requests: group.reduce((n, c) => n + c.load.requests, 0),
    });
  }
  const summaryOf = new Map(targets.map((t) => [t.id, t]));
  const ratio = (a: number, b: number | undefined) => (b === undefined || !Number.isFinite(b) || b === 0 ? undefined : a / b);
  const rows: AggregateRow[] = [];
  for (const row of base.values()) {
    const summary = summaryOf.get(row.target);
    const peer = (id: TargetId) => {
      const other = summaryOf.get(id);
      if (id === row.target || summary?.role !== "proxy" || !other || other.upstream !== summary.upstream) return undefined;
      return base.get(key(id, row.method, row.connections));
    };
    const direct = summary && summary.baseline !== row.target ? base.get(key(summary.baseline, row.method, row.connections)) : undefined;
    const nginx = peer("nginx");
    const hono = peer("naive-hono");
    rows.push({
      ...row,
      ...(direct ? { addedP50Ms: row.p50Ms.median - direct.p50Ms.median, vsDirect: ratio(row.rps.median, direct.rps.median) } : {}),
      ...(nginx ? { vsNginx: ratio(row.rps.median, nginx.rps.median), cpuVsNginx: ratio(row.cpuPerRequestUs.median, nginx.cpuPerRequestUs.median) } : {}),
      ...(hono ? { vsHono: ratio(row.rps.median, hono.rps.median), cpuVsHono: ratio(row.cpuPerRequestUs.median, hono.cpuPerRequestUs.median) } : {}),
    });
  }
  const order = new Map(targets.map((t, i) => [t.id, i]));
  return rows.sort((a, b) => a.method.localeCompare(b.method) || (order.get(a.target) ?? 99) - (order.get(b.target) ?? 99) || a.connections - b.connections);
}

// ---- formatting ----------------------------------------------------------------------------------

function fixed(n: number | undefined, digits: number): string {
  return n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(digits);
}

export function formatRps(s: Stat): string {
  const value = s.median >= 10_000 ? `${(s.median / 1000).toFixed(1)}k` : Math.round(s.median).toString();
  return `${value} ±${Math.round(spreadPercent(s))}%`;
}

function ms(n: number): string {
  return !Number.isFinite(n) ? "–" : n < 1 ? n.toFixed(3) : n < 10 ? n.toFixed(2) : n.toFixed(1);
}

function times(n: number | undefined): string {
  return n === undefined ? "–" : `${n.toFixed(2)}×`;
}

function signedMs(n: number | undefined): string {
  return n === undefined ? "–" : `${n >= 0 ? "+" : "−"}${ms(Math.abs(n))}`;
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

export const MATRIX_HEADER = ["target", "c", "req/s", "p50 ms", "p99 ms", "added p50 ms", "CPU µs/req", "RSS MiB", "× direct", "× nginx", "× hono", "CPU × nginx", "CPU × hono", "errors"] as const;

export function matrixRow(row: AggregateRow, label: string): string[] {
  const errors = row.non2xx + row.socketErrors === 0 ? "0" : `${row.non2xx} non-2xx, ${row.socketErrors} socket`;
  return [
    label,
    String(row.connections),
    formatRps(row.rps),
    `${ms(row.p50Ms.median)} ±${Math.round(spreadPercent(row.p50Ms))}%`,
    ms(row.p99Ms.median),
    signedMs(row.addedP50Ms),
    fixed(row.cpuPerRequestUs.median, 0),
    fixed(row.rssMiB.max, 0),
    times(row.vsDirect),
    times(row.vsNginx),
    times(row.vsHono),
    times(row.cpuVsNginx),
    times(row.cpuVsHono),
    errors,
  ];
}

/** One table per method; targets in the order they were defined. */
export function matrixMarkdown(rows: readonly AggregateRow[], targets: readonly TargetSummary[]): string {
  const labels = new Map(targets.map((t) => [t.id, t.label]));
  const out: string[] = [];
  for (const method of [...new Set(rows.map((r) => r.method))]) {
    out.push(`#### \`${method}\``, "", table(MATRIX_HEADER, rows.filter((r) => r.method === method).map((r) => matrixRow(r, labels.get(r.target) ?? r.target))), "");
  }
  const skipped = targets.filter((t) => t.skipped);
  if (skipped.length) out.push(...skipped.map((t) => `- **${t.label}**: skipped: ${t.skipped}`), "");
  const identity = targets.filter((t) => t.identity.length && t.role === "proxy");
  if (identity.length) {
    out.push("Response bodies compared with the same request sent directly to the upstream:", "");
    for (const t of identity) out.push(`- ${t.label}: ${t.identity.map((i) => `${i.method} ${i.identical ? "byte-identical" : `differs (${i.detail})`}`).join("; ")}`);
    out.push("");
  }
  const notes = targets.filter((t) => t.notes.length && !t.skipped);
  if (notes.length) out.push(...notes.map((t) => `- ${t.label}: ${t.notes.join("; ")}`), "");
  return out.join("\n");
}
