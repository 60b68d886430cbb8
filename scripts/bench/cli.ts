import { parseArgs } from "node:util";
import { DEFAULT_TARGETS, EXTRA_TARGETS, QUICK_TARGETS, TARGETS, type TargetId } from "./targets.ts";

// `npm run bench [-- options]`: the options, their defaults for the full and the quick run, and --help.
// The full defaults keep a run under ~8 minutes on the 2-core machine (see docs/performance.md).

export type Section = "matrix" | "startup" | "sse" | "soak" | "tokens";
export const SECTIONS: readonly Section[] = ["matrix", "startup", "sse", "soak", "tokens"];

export interface BenchOptions {
  readonly quick: boolean;
  readonly runs: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly concurrencies: readonly number[];
  readonly targets: readonly TargetId[];
  readonly sections: readonly Section[];
  readonly soakSeconds: number;
  readonly sseStreams: number;
  readonly sseHoldSeconds: number;
  readonly startupSamples: number;
  readonly tokenSizes: readonly number[];
  readonly outDir: string;
  readonly keepLogs: boolean;
}

export class UsageError extends Error {
  override name = "UsageError";
}

export const HELP = `Usage: npm run bench [-- options]

Starts every server on 127.0.0.1, runs bounded loads with wrk, stops everything it started, prints a
markdown report and writes it with the raw numbers to bench-results/ (JSON + markdown).

Sections:
  matrix   tools/call and tools/list at each concurrency through every target, --runs times
  startup  dist/mcpgw spawn → listening → ready, and idle RSS
  sse      N concurrent open SSE streams through one mcpgw (as shipped, and with Bun's fetch cap raised)
  soak     a steady load on mcpgw, sampling RSS and open fds
  tokens   token validation with 10k and 1M stored tokens (in process; hook for the OAuth store)

Options:
  --quick               a smoke run: 1 run, 1 s cells, concurrency 1 and 16, ${QUICK_TARGETS.length} targets, small sections
  --runs N              repetitions of the matrix (default 2; medians and spread are reported)
  --duration S          seconds per cell (default 3)
  --warmup S            unrecorded warm-up per target and method, in seconds (default 1; 0 for none)
  --concurrency LIST    comma-separated connection counts (default 1,16,64)
  --targets LIST        comma-separated target ids (default: all but ${EXTRA_TARGETS.join(", ")}). Ids:
                        ${TARGETS.map((t) => t.id).join(", ")}
  --sections LIST       comma-separated sections (default: all): ${SECTIONS.join(", ")}
  --soak-seconds S      soak length, 10 to 600 (default 60)
  --sse-streams N       concurrent SSE streams (default 5000)
  --out DIR             where to write the results (default bench-results)
  --keep-logs           keep the work dir with every process's log (deleted after a successful run)
  -h, --help            show this help

Needs wrk (apt-get install wrk) for the matrix and the soak, and nginx for the nginx target; without them
those parts are skipped with a message. Builds dist/mcpgw first when it is missing or older than src/.`;

function positiveInt(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got "${text}")`);
  return n;
}

function list<T extends string>(name: string, text: string, allowed: readonly T[]): T[] {
  const items = text.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = items.find((i) => !allowed.includes(i as T));
  if (unknown !== undefined) throw new UsageError(`--${name}: unknown "${unknown}"; choose from ${allowed.join(", ")}`);
  if (items.length === 0) throw new UsageError(`--${name} must not be empty`);
  return items as T[];
}

/** argv (after `--`) → options; "help" when --help was asked for. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        quick: { type: "boolean" },
        runs: { type: "string" },
        duration: { type: "string" },
        warmup: { type: "string" },
        concurrency: { type: "string" },
        targets: { type: "string" },
        sections: { type: "string" },
        "soak-seconds": { type: "string" },
        "sse-streams": { type: "string" },
        out: { type: "string" },
        "keep-logs": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return "help";
  const quick = values.quick ?? false;
  const ids = TARGETS.map((t) => t.id);
  return {
    quick,
    runs: values.runs ? positiveInt("runs", values.runs, 1, 20) : quick ? 1 : 2,
    durationS: values.duration ? positiveInt("duration", values.duration, 1, 60) : quick ? 1 : 3,
    warmupS: values.warmup ? positiveInt("warmup", values.warmup, 0, 30) : 1,
    concurrencies: values.concurrency
      ? values.concurrency.split(",").map((c) => positiveInt("concurrency", c.trim(), 1, 1024))
      : quick
        ? [1, 16]
        : [1, 16, 64],
    targets: values.targets ? list("targets", values.targets, ids) : quick ? QUICK_TARGETS : DEFAULT_TARGETS,
    sections: values.sections ? list("sections", values.sections, SECTIONS) : SECTIONS,
    soakSeconds: values["soak-seconds"] ? positiveInt("soak-seconds", values["soak-seconds"], 10, 600) : quick ? 10 : 60,
    sseStreams: values["sse-streams"] ? positiveInt("sse-streams", values["sse-streams"], 1, 50_000) : quick ? 200 : 5_000,
    sseHoldSeconds: quick ? 5 : 12,
    startupSamples: quick ? 2 : 5,
    tokenSizes: quick ? [10_000] : [10_000, 1_000_000],
    outDir: values.out ?? "bench-results",
    keepLogs: values["keep-logs"] ?? false,
  };
}
