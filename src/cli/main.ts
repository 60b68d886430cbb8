import pkg from "../../package.json" with { type: "json" };
import { closestName } from "../config/suggest.ts";
import { UsageError } from "./args.ts";
import { buildInfo, formatVersion } from "./build-info.ts";
import { connectionsCommand } from "./connections.ts";
import { initCommand } from "./init.ts";
import type { Out } from "./io.ts";
import { validate } from "./validate.ts";

const MAIN_HELP = `mcpgw ${pkg.version}: a self-hosted MCP gateway for Zuplo-style projects

Usage: mcpgw <command> [options]

Commands:
  dev        serve the project with local defaults; reloads when the project files change
  start      serve the project in production: reload on SIGHUP, drain on SIGTERM
  validate   check the project and print every problem (exit 1 when there are any)
  init       create a new project in a directory (zuplo.jsonc, config/, .env.example, README)
  connections  list or revoke people's upstream connections; connect a shared upstream
  tokens     list or revoke the OAuth grants issued to MCP clients
  clients    list or delete dynamically registered OAuth clients
  doctor     check config, store, data-dir key, IdP and upstream reachability, clock skew

Options:
  -v, --version  print the version, commit and build date
  -h, --help     show this help; \`mcpgw <command> --help\` for a command's options

Docs: README.md and docs/ in the mcpgw repository.`;

const COMMANDS = ["dev", "start", "validate", "init", "connections", "tokens", "clients", "doctor"];

export async function main(argv: string[], io: Out = { out: (s) => console.log(s), err: (s) => console.error(s) }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "dev":
      case "start":
        // Loaded only to serve: `mcpgw validate` never loads the proxy, the policies or the OAuth server.
        return await (await import("./serve-command.ts")).serveCommand(command, rest, io);
      case "validate":
        return await validate(rest, io);
      case "init":
        return await initCommand(rest, io);
      case "connections":
        return await connectionsCommand(rest, io);
      // The admin commands are loaded only when run, like the server.
      case "tokens":
        return await (await import("./tokens.ts")).tokensCommand(rest, io);
      case "clients":
        return await (await import("./clients.ts")).clientsCommand(rest, io);
      case "doctor":
        return await (await import("./doctor.ts")).doctorCommand(rest, io);
      case "-v":
      case "--version":
      case "version":
        io.out(formatVersion(buildInfo()));
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
