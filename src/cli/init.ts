import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse, UsageError } from "./args.ts";
import { projectFiles } from "./project-template.ts";

export const INIT_HELP = `Usage: mcpgw init [DIR] [options]

Create a new Zuplo MCP Gateway project in DIR (default: the current directory): zuplo.jsonc,
config/policies.json, config/routes.oas.json, .env.example, .gitignore and a README. It validates as is
and serves one OAuth-protected route, /mcp/my-server-v1, in front of the built-in demo MCP server (or
--upstream). Existing files are never overwritten unless --force is given.

Options:
  --upstream URL  the MCP server the route proxies to (default: mcpgw:demo, the built-in demo server)
  --force         overwrite files that already exist
  -h, --help      show this help

Then: mcpgw validate --project DIR && mcpgw dev --project DIR`;

type Out = { out: (s: string) => void; err: (s: string) => void };

export async function initCommand(argv: string[], io: Out): Promise<number> {
  const { values, positionals } = parse(argv, { upstream: { type: "string" }, force: { type: "boolean" }, help: { type: "boolean", short: "h" } }, true);
  if (values.help) return io.out(INIT_HELP), 0;
  if (positionals.length > 1) throw new UsageError(`init takes one directory (got ${positionals.length}: ${positionals.join(" ")}).`);
  const upstream = values.upstream ?? "mcpgw:demo";
  if (upstream !== "mcpgw:demo" && !URL.canParse(upstream)) throw new UsageError(`--upstream must be a URL such as https://mcp.example.com/mcp (got "${upstream}").`);
  const dir = resolve(positionals[0] ?? ".");
  const files = projectFiles({ upstream });
  const existing = Object.keys(files).filter((file) => existsSync(join(dir, file)));
  if (existing.length > 0 && !values.force) {
    io.err(`mcpgw: MCPGW_INIT_FILES_EXIST: ${dir} already has ${existing.join(", ")}; nothing was written. Pick an empty directory, or pass --force to overwrite them.`);
    return 1;
  }
  for (const [file, contents] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), contents);
  }
  io.out(`Created a mcpgw project in ${dir}:\n${Object.keys(files).map((f) => `  ${f}`).join("\n")}\n\nNext:\n  mcpgw validate --project ${dir}\n  mcpgw dev --project ${dir}     # then point an MCP client at http://127.0.0.1:9000/mcp/my-server-v1`);
  return 0;
}
