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
    // Points at the main help: `mcpgw serve --help` would only repeat "unknown command".
    ["an unknown command", ["serve"], /unknown command "serve"\nRun `mcpgw --help` for the commands\./],
    ["a misspelt command", ["validte"], /unknown command "validte" \(did you mean "validate"\?\)\nRun `mcpgw --help`/],
    ["an unknown flag of a known command", ["validate", "--bogus"], /bogus[\s\S]*Run `mcpgw validate --help` for usage\./],
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
    // The example's demo-public route has no OAuth policy on purpose: one warning.
    expect(r.stdout).toMatch(/✓ .*: valid, 2 routes, 2 policies \(0 errors, 1 warning\)\.$/);
    expect(r.stdout).toContain("warning MCPGW_CONFIG_ROUTE_WITHOUT_AUTH");
    expect(r.stderr).toBe("");
  });

  it("fails validation of a broken project with file, line and JSON pointer", async () => {
    const dir = writeProject({ routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", "https://x.example.com/${params.id}") } }) });
    const r = await runCli(["validate", "--project", dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("error MCPGW_CONFIG_HANDLER_OPTIONS_INVALID");
    expect(r.stdout).toMatch(/config\/routes\.oas\.json:\d+:\d+ \/paths\/~1mcp~1a\/get,post\/x-zuplo-route\/handler\/options\/rewritePattern/);
    expect(r.stdout).toMatch(/✗ .*: invalid \(1 error, 0 warnings\)\.$/);
  });

  // Errors and warnings on one stream, in one format, in the order found; the summary counts both.
  const reports: { name: string; files: Parameters<typeof writeProject>[0]; code: number; lines: RegExp[]; summary: RegExp }[] = [
    {
      name: "an error and a warning",
      files: {
        policies: { policies: [{ name: "h", policyType: "set-headers-inbound", handler: { module: "$import(@zuplo/runtime)", export: "SetHeadersInboundPolicy", options: { headers: [{ name: "x-a", value: "1" }] } } }] },
        routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", "https://up.example.com/mcp", ["h"]) }, "/mcp/b": { "get,post": mcpRoute("b", "https://up.example.com/${params.x}") } }),
      },
      code: 1,
      lines: [/^warning MCPGW_CONFIG_ROUTE_WITHOUT_AUTH$/m, /^error MCPGW_CONFIG_HANDLER_OPTIONS_INVALID$/m],
      summary: /invalid \(1 error, 1 warning\)\.$/,
    },
    {
      name: "two errors",
      files: { routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", "${env.UNSET_ONE}") }, "/mcp/b": { "get,post": mcpRoute("b", "${env.UNSET_TWO}") } }) },
      code: 1,
      lines: [/^error MCPGW_CONFIG_ENV_UNSET\n.*\n  The environment variable UNSET_ONE/m, /^error MCPGW_CONFIG_ENV_UNSET\n.*\n  The environment variable UNSET_TWO/m],
      summary: /invalid \(2 errors, 0 warnings\)\.$/,
    },
    {
      name: "warnings only",
      files: { routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", "https://up.example.com/mcp") }, "/mcp/b": { "get,post": mcpRoute("b", "https://up.example.com/mcp") } }) },
      code: 0,
      lines: [/^warning MCPGW_CONFIG_ROUTE_WITHOUT_AUTH\n  at config\/routes\.oas\.json:\d+:\d+ \/paths\/~1mcp~1a/m, /^warning MCPGW_CONFIG_ROUTE_WITHOUT_AUTH\n  at config\/routes\.oas\.json:\d+:\d+ \/paths\/~1mcp~1b/m],
      summary: /✓ .*: valid, 2 routes, 0 policies \(0 errors, 2 warnings\)\.$/,
    },
  ];
  for (const c of reports) {
    it(`validate reports ${c.name} on stdout and counts them`, async () => {
      const r = await runCli(["validate", "--project", writeProject(c.files)]);
      expect(r.code).toBe(c.code);
      expect(r.stderr).toBe("");
      for (const line of c.lines) expect(r.stdout).toMatch(line);
      expect(r.stdout).toMatch(c.summary);
    });
  }

  it("prints validation results as JSON with --json", async () => {
    const dir = writeProject({ routes: routesDoc({ "/mcp/a": { "get,post": { ...mcpRoute("a", "https://x.example.com/mcp"), operationId: undefined } } }) });
    const r = await runCli(["validate", "--json", "--project", dir]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { valid: boolean; problems: { code: string; pointer: string }[] };
    expect(out.valid).toBe(false);
    expect(out.problems[0]).toMatchObject({ code: "MCPGW_CONFIG_MISSING_OPERATION_ID", pointer: "/paths/~1mcp~1a/get,post/operationId" });
  });
});
