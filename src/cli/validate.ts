import { loadProject } from "../config/load.ts";
import { errorsOnly, formatProblem } from "../config/problems.ts";
import { parse } from "./args.ts";
import type { Out } from "./io.ts";

// `mcpgw validate`: config/ only. It must not load the proxy, the policies or the OAuth server
// (.dependency-cruiser.cjs, validate-loads-no-runtime; test/cli/validate-imports.test.ts).

const VALIDATE_HELP = `Usage: mcpgw validate [options]

Check zuplo.jsonc, config/policies.json, config/routes.oas.json and .env. Prints every problem with its
code, file, JSON pointer, line:column and what to do. Exit 0 when valid, 1 when not, 2 on usage errors.

Options:
  --project DIR  Zuplo project directory (env MCPGW_PROJECT; default: current directory)
  --json         print the result as JSON
  -h, --help     show this help`;

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export async function validate(argv: string[], io: Out): Promise<number> {
  const { values } = parse(argv, { project: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) return io.out(VALIDATE_HELP), 0;
  const projectDir = values.project ?? process.env.MCPGW_PROJECT ?? ".";
  const result = loadProject(projectDir);
  const problems = result.ok ? result.config.warnings : result.problems;
  const errors = errorsOnly(problems).length;
  const warnings = problems.length - errors;
  if (values.json) {
    io.out(JSON.stringify({ valid: result.ok, errors, warnings, problems }, null, 2));
    return result.ok ? 0 : 1;
  }
  // The report is this command's output: errors and warnings alike on stdout, in one format, in file
  // order; the exit code says whether the project is valid.
  for (const p of problems) io.out(formatProblem(p));
  const counts = `${count(errors, "error")}, ${count(warnings, "warning")}`;
  if (result.ok) {
    const { routes, policies } = result.config;
    io.out(`✓ ${projectDir}: valid, ${count(routes.length, "route")}, ${count(policies.size, "policy", "policies")} (${counts}).`);
  } else {
    io.out(`✗ ${projectDir}: invalid (${counts}).`);
  }
  return result.ok ? 0 : 1;
}

