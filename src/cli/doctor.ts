import { resolve } from "node:path";
import { parse, UsageError } from "./args.ts";
import { adminDataDir, DATA_DIR_HELP, DATA_DIR_OPTIONS } from "./admin-io.ts";
import { checkClock, checkConfig, checkIdp, checkSecretKey, checkStore, checkUpstreams, type Finding, type ProbeContext } from "./doctor-checks.ts";
import type { Out } from "./io.ts";

const HELP = `Usage: mcpgw doctor [options]

Check what a gateway needs before it can serve, and print what to fix:
  config      the project validates (as mcpgw validate)
  secret-key  the data-dir key is readable, 32 bytes, and not readable by others
  store       the SQLite store opens (pending migrations are applied, as a start would) and passes
              an integrity check
  idp         the IdP of a federated browser login publishes its discovery document and JWKS
  upstream    each upstream MCP server answers (its RFC 9728 protected resource metadata URL)
  clock       this machine's clock agrees with the HTTP Date of the IdP and upstreams

Exits 1 when a check fails, 0 otherwise (warnings included). Run it as the gateway's user, with the
gateway's environment (the project's $env(...) values and .env are read).

Options:
  --timeout-ms N   how long to wait for each IdP or upstream URL (default 5000)
${DATA_DIR_HELP}`;

const OPTIONS = { ...DATA_DIR_OPTIONS, "timeout-ms": { type: "string" } } as const;

const MARK = { ok: "ok  ", warn: "WARN", fail: "FAIL", skip: "skip" } as const;

export interface DoctorDeps {
  readonly env?: Record<string, string | undefined>;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

export async function doctorCommand(argv: string[], io: Out, deps: DoctorDeps = {}): Promise<number> {
  const { values } = parse(argv, OPTIONS);
  if (values.help) return io.out(HELP), 0;
  const env = deps.env ?? process.env;
  const timeoutText = values["timeout-ms"] ?? "5000";
  const timeoutMs = Number(timeoutText);
  if (!/^\d+$/.test(timeoutText) || timeoutMs < 1) throw new UsageError(`--timeout-ms must be a positive number (got "${timeoutText}")`);
  const projectDir = resolve(values.project ?? env.MCPGW_PROJECT ?? ".");
  const dataDir = adminDataDir(values, env);
  const ctx: ProbeContext = { fetch: deps.fetch ?? fetch, now: deps.now ?? Date.now, timeoutMs };

  const { findings: configFindings, config } = checkConfig(projectDir, env);
  const findings: Finding[] = [...configFindings, checkSecretKey(dataDir), await checkStore(dataDir)];
  if (config) {
    const [idp, upstreams] = await Promise.all([checkIdp(config, ctx), checkUpstreams(config, ctx)]);
    findings.push(...idp.findings, ...upstreams.findings, checkClock([...idp.probes, ...upstreams.probes]));
  } else {
    for (const check of ["idp", "upstream", "clock"]) findings.push({ check, status: "skip", message: "needs a valid configuration" });
  }

  const failed = findings.filter((f) => f.status === "fail").length;
  const warned = findings.filter((f) => f.status === "warn").length;
  if (values.json) io.out(JSON.stringify({ ok: failed === 0, projectDir, dataDir, findings }, null, 2));
  else {
    const width = Math.max(...findings.map((f) => f.check.length));
    for (const f of findings) {
      io.out(`${MARK[f.status]}  ${f.check.padEnd(width)}  ${f.message}`);
      if (f.fix) io.out(`      ${" ".repeat(width)}  fix: ${f.fix}`);
    }
    io.out(failed > 0 ? `\n${failed} problem(s) to fix${warned ? `, ${warned} warning(s)` : ""}.` : `\nNo problems${warned ? ` (${warned} warning(s))` : ""}.`);
  }
  return failed > 0 ? 1 : 0;
}
