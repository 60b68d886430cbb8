import pkg from "../../package.json" with { type: "json" };
import { loadProject } from "../config/load.ts";
import { errorsOnly, formatProblem } from "../config/problems.ts";
import { closestName } from "../config/suggest.ts";
import { StoreError } from "../store/open.ts";
import { parse, SERVE_HELP_OPTIONS, SERVE_OPTIONS, serveSettings, UsageError } from "./args.ts";
import { serve, StartupError, type RunningGateway } from "./serve.ts";

const MAIN_HELP = `mcpgw ${pkg.version}: a self-hosted MCP gateway for Zuplo-style projects

Usage: mcpgw <command> [options]

Commands:
  dev        serve the project with local defaults; reloads when the project files change
  start      serve the project in production: reload on SIGHUP, drain on SIGTERM
  validate   check the project and print every problem (exit 1 when there are any)

Options:
  -v, --version  print the version
  -h, --help     show this help; \`mcpgw <command> --help\` for a command's options

Docs: README.md and docs/ in the mcpgw repository.`;

const DEV_HELP = `Usage: mcpgw dev [options]

Serve the Zuplo project on http://127.0.0.1:9000 with local defaults: the store in .mcpgw/ under the
project, /oauth/dev-login available on loopback, and a reload whenever zuplo.jsonc, config/*.json or
.env change. An invalid project keeps the previous config serving (or, at first start, serves only
the health endpoints, not ready, until it is fixed).

${SERVE_HELP_OPTIONS}`;

const START_HELP = `Usage: mcpgw start [options]

Serve the Zuplo project in production mode. Reloads the project on SIGHUP (a bad project is rejected
and the previous one keeps serving); on SIGTERM or SIGINT stops accepting connections and waits up to
30 s for in-flight requests. Exits 1 when the project is invalid at start.

${SERVE_HELP_OPTIONS}`;

const VALIDATE_HELP = `Usage: mcpgw validate [options]

Check zuplo.jsonc, config/policies.json, config/routes.oas.json and .env. Prints every problem with its
code, file, JSON pointer, line:column and what to do. Exit 0 when valid, 1 when not, 2 on usage errors.

Options:
  --project DIR  Zuplo project directory (env MCPGW_PROJECT; default: current directory)
  --json         print the result as JSON
  -h, --help     show this help`;

type Out = { out: (s: string) => void; err: (s: string) => void };

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

async function validate(argv: string[], io: Out): Promise<number> {
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

async function serveCommand(mode: "dev" | "start", argv: string[], io: Out): Promise<number> {
  const { values } = parse(argv, SERVE_OPTIONS);
  if (values.help) return io.out(mode === "dev" ? DEV_HELP : START_HELP), 0;
  const settings = serveSettings(values, process.env, mode === "dev" && process.stdout.isTTY === true);
  // Handlers go in before the server listens, so a signal sent the moment it is up is never lost.
  let gateway: RunningGateway | undefined;
  const shutdown = () => (gateway ? void gateway.stop().then(() => process.exit(0)) : process.exit(0));
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
  process.on("SIGHUP", () => void gateway?.reload());
  try {
    gateway = await serve(settings, mode);
  } catch (err) {
    if (err instanceof StartupError || err instanceof StoreError) return 1;
    throw err;
  }
  return new Promise<number>(() => {});
}

const COMMANDS = ["dev", "start", "validate"];

export async function main(argv: string[], io: Out = { out: (s) => console.log(s), err: (s) => console.error(s) }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "dev":
      case "start":
        return await serveCommand(command, rest, io);
      case "validate":
        return await validate(rest, io);
      case "-v":
      case "--version":
      case "version":
        io.out(pkg.version);
        return 0;
      case undefined:
      case "-h":
      case "--help":
      case "help":
        io.out(MAIN_HELP);
        return command === undefined ? 2 : 0;
      default: {
        const near = closestName(command, COMMANDS);
        throw new UsageError(`unknown command "${command}"${near ? ` (did you mean "${near}"?)` : ""}`);
      }
    }
  } catch (err) {
    if (err instanceof UsageError) {
      // A command's own --help only for a command that exists: `mcpgw serve --help` would repeat the error.
      const known = command !== undefined && COMMANDS.includes(command);
      io.err(`mcpgw: ${err.message}\nRun \`mcpgw ${known ? command + " " : ""}--help\` for ${known ? "usage" : "the commands"}.`);
      return 2;
    }
    throw err;
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
