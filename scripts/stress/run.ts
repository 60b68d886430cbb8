import { parseArgs } from "node:util";
import { runFaultStorm } from "../../test/stress/kit/fault-storm.ts";
import { runKillDuringIssuance } from "../../test/stress/kit/kill-durability.ts";
import { startFuzzTarget } from "../../test/stress/kit/target.ts";
import { FUZZ_PROPERTIES } from "../../test/stress/properties/all.ts";
import { runLoad } from "./load.ts";

// `npm run stress`: the bounded reliability and security suite of issue 18, at full size. Everything
// runs on loopback and stops by itself: the fuzz properties (10,000 cases each by default), a storm of
// upstream faults, kill -9 during token issuance, and a load run through the full chain. It prints
// what it ran and exits non-zero on any failure. `npm test` runs the same parts at a small size.

const HELP = `Usage: npm run stress -- [options]

Runs the reliability and security suite against a real gateway on 127.0.0.1:
  fuzz        every fuzz property, --cases cases each (MCP bodies, OAuth forms and queries,
              DCR bodies, CIMD documents, config files)
  faults      --faults upstream faults (reset, hang, drip, 5xx, invalid JSON, huge, endless SSE)
              while a second route keeps answering; fds and RSS before and after
  durability  kill -9 of a gateway process during --issuances concurrent refresh-token grants;
              integrity_check, and every token answered 200 used after a restart
  load        wrk at --connections connections for --seconds through OAuth + the capability filter

Options:
  --only LIST        comma-separated parts to run (default: fuzz,faults,durability,load)
  --cases N          cases per fuzz property (default 10000)
  --seed N           fuzz seed (default: random; printed, so a failure replays)
  --faults N         faults in the storm (default 1000)
  --issuances N      concurrent token issuances killed mid-way (default 1000)
  --seconds N        length of the load run (default 120)
  --connections N    load connections (default 320: 5x the benchmark's c=64)
  -h, --help         show this help`;

const { values } = parseArgs({
  options: {
    only: { type: "string", default: "fuzz,faults,durability,load" },
    cases: { type: "string", default: "10000" },
    seed: { type: "string" },
    faults: { type: "string", default: "1000" },
    issuances: { type: "string", default: "1000" },
    seconds: { type: "string", default: "120" },
    connections: { type: "string", default: "320" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const count = (name: keyof typeof values) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a positive whole number (got ${values[name]}).\n\n${HELP}`);
    process.exit(2);
  }
  return n;
};
const parts = new Set(String(values.only).split(","));
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const say = (line: string) => console.log(line);

const summary = { casesRun: 0, faultsSurvived: 0, faultsRun: 0, rowsLost: 0, failures: [] as string[] };

async function part(name: string, run: () => Promise<void>): Promise<void> {
  if (!parts.has(name)) return;
  const started = performance.now();
  say(`\n== ${name}`);
  try {
    await run();
  } catch (err) {
    summary.failures.push(`${name}: ${(err as Error).message}`);
    say(`FAILED: ${(err as Error).stack ?? err}`);
  }
  say(`   (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

await part("fuzz", async () => {
  const cases = count("cases");
  say(`seed ${seed}, ${cases} cases per property (replay: --seed ${seed})`);
  const target = await startFuzzTarget();
  try {
    for (const property of FUZZ_PROPERTIES) {
      const started = performance.now();
      try {
        const ran = await property.run(target, { numRuns: cases, seed, watchdogMs: 15_000, shrink: false });
        summary.casesRun += ran;
        say(`   ${property.name}: ${ran} cases, ${((performance.now() - started) / 1000).toFixed(1)} s, ok`);
      } catch (err) {
        summary.failures.push(`fuzz ${property.name}: ${(err as Error).message.split("\n").slice(0, 12).join("\n")}`);
        say(`   ${property.name}: FAILED\n${(err as Error).message}`);
      }
    }
    const failed = target.gateway.logs.filter((l) => l.event === "request_failed");
    if (failed.length > 0) throw new Error(`${failed.length} request_failed log entries, first: ${JSON.stringify(failed[0])}`);
    say(`   cases asking for a hidden capability: ${target.stats.hiddenAttempts}; hidden capabilities the upstream was asked to run: ${target.upstream.hiddenRuns().length} (it ran ${target.upstream.runs.length} allowed ones)`);
  } finally {
    await target.stop();
  }
});

await part("faults", async () => {
  const result = await runFaultStorm({ faults: count("faults"), say });
  summary.faultsRun += result.faults;
  summary.faultsSurvived += result.survived;
  if (result.problems.length > 0) throw new Error(result.problems.join("\n"));
});

await part("durability", async () => {
  const result = await runKillDuringIssuance({ issuances: count("issuances"), say });
  summary.rowsLost += result.lost;
  if (result.problems.length > 0) throw new Error(result.problems.join("\n"));
});

await part("load", async () => {
  const result = await runLoad({ seconds: count("seconds"), connections: count("connections"), say });
  if (result.problems.length > 0) throw new Error(result.problems.join("\n"));
});

say("\n== summary");
say(`cases run: ${summary.casesRun}`);
say(`faults survived: ${summary.faultsSurvived} of ${summary.faultsRun}`);
say(`rows lost: ${summary.rowsLost}`);
if (summary.failures.length > 0) {
  say(`failures:\n${summary.failures.map((f) => `- ${f}`).join("\n")}`);
  process.exit(1);
}
say("all parts passed");
process.exit(0);
