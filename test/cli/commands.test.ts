import { describe, expect, it } from "bun:test";
import pkg from "../../package.json" with { type: "json" };
import { runCli } from "../helpers/cli.ts";
import { mcpRoute, routesDoc, writeProject } from "../helpers/project.ts";

describe("mcpgw CLI", () => {
  it("prints help with every command and exits 0", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    for (const cmd of ["dev", "start", "validate", "init"]) expect(r.stdout).toContain(cmd);
  });

  for (const cmd of ["dev", "start", "validate"]) {
    it(`prints ${cmd} --help and exits 0`, async () => {
      const r = await runCli([cmd, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: mcpgw ${cmd}`);
      expect(r.stdout).toContain("--project");
    });
  }

  it("prints the package version and, from source, the checkout's commit", async () => {
    const r = await runCli(["--version"]);
    const commit = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: import.meta.dir }).stdout.toString().trim();
    expect(r).toMatchObject({ code: 0, stdout: `mcpgw ${pkg.version} (source, commit ${commit})` });
  });

  const usage: [string, string[], RegExp][] = [
    ["no command", [], /Commands:/],
    ["an unknown command", ["serve"], /unknown command "serve"/],
    ["an unknown flag", ["dev", "--bogus"], /bogus/],
    ["a port that is not a number", ["dev", "--port", "http"], /--port must be a number/],
    ["an unknown log format", ["start", "--log-format", "xml"], /--log-format must be json or pretty/],
    ["an unknown log level", ["dev", "--log-level", "loud"], /--log-level must be one of/],
  ];
  for (const [name, args, message] of usage) {
    it(`exits 2 on ${name}`, async () => {
      const r = await runCli(args);
      expect(r.code).toBe(2);
      expect(r.stdout + r.stderr).toMatch(message);
    });
  }

  it("validates the example project at the repository root", async () => {
    const r = await runCli(["validate"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✓ .*valid — 2 route/);
  });

  it("fails validation of a broken project with file, line and JSON pointer", async () => {
    const dir = writeProject({ routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", "https://x.example.com/${params.id}") } }) });
    const r = await runCli(["validate", "--project", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("MCPGW_CONFIG_HANDLER_OPTIONS_INVALID");
    expect(r.stderr).toMatch(/config\/routes\.oas\.json:\d+:\d+ \/paths\/~1mcp~1a\/get,post\/x-zuplo-route\/handler\/options\/rewritePattern/);
    expect(r.stderr).toContain("1 problem(s) found");
  });

  it("prints validation results as JSON with --json", async () => {
    const dir = writeProject({ routes: routesDoc({ "/mcp/a": { "get,post": { ...mcpRoute("a", "https://x.example.com/mcp"), operationId: undefined } } }) });
    const r = await runCli(["validate", "--json", "--project", dir]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { valid: boolean; problems: { code: string; pointer: string }[] };
    expect(out.valid).toBe(false);
    expect(out.problems[0]).toMatchObject({ code: "MCPGW_CONFIG_MISSING_OPERATION_ID", pointer: "/paths/~1mcp~1a/get,post/operationId" });
  });
});
