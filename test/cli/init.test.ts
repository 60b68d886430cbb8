import { describe, expect, it } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadProject } from "../../src/config/load.ts";
import { runCli } from "../helpers/cli.ts";

const fresh = () => join(mkdtempSync(join(tmpdir(), "mcpgw-init-")), "project");
const FILES = ["zuplo.jsonc", "config/policies.json", "config/routes.oas.json", ".env.example", ".gitignore", "README.md"];

describe("mcpgw init", () => {
  it("prints init --help and exits 0", async () => {
    const r = await runCli(["init", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: mcpgw init [DIR]");
    expect(r.stdout).toContain("--upstream URL");
  });

  it("writes a project that loads with one OAuth-protected route, no problems and no warnings", async () => {
    const dir = fresh();
    const r = await runCli(["init", dir]);
    expect(r.code).toBe(0);
    for (const file of FILES) expect(existsSync(join(dir, file))).toBe(true);
    const loaded = loadProject(dir, { env: {} });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    expect(loaded.config.warnings).toEqual([]);
    expect(loaded.config.routes.map((route) => [route.path, route.inbound])).toEqual([["/mcp/my-server-v1", ["mcp-oauth"]]]);
  });

  it("points the route at --upstream", async () => {
    const dir = fresh();
    expect((await runCli(["init", dir, "--upstream", "https://mcp.example.com/mcp"])).code).toBe(0);
    const loaded = loadProject(dir, { env: {} });
    expect(loaded.ok && loaded.config.routes[0]!.handler.options).toMatchObject({ rewritePattern: "https://mcp.example.com/mcp" });
  });

  it("refuses to overwrite existing files, names them and writes nothing", async () => {
    const dir = fresh();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "zuplo.jsonc"), "{ mine }");
    const r = await runCli(["init", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("MCPGW_INIT_FILES_EXIST");
    expect(r.stderr).toContain("zuplo.jsonc");
    expect(readFileSync(join(dir, "zuplo.jsonc"), "utf8")).toBe("{ mine }");
    expect(existsSync(join(dir, "config/routes.oas.json"))).toBe(false);
  });

  it("overwrites with --force", async () => {
    const dir = fresh();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "zuplo.jsonc"), "{ mine }");
    expect((await runCli(["init", dir, "--force"])).code).toBe(0);
    expect(readFileSync(join(dir, "zuplo.jsonc"), "utf8")).toContain('"compatibilityDate": "2026-03-01"');
  });

  it("exits 2 on a bad --upstream or two directories", async () => {
    expect(await runCli(["init", fresh(), "--upstream", "not a url"])).toMatchObject({ code: 2, stderr: expect.stringContaining("--upstream must be a URL") });
    expect(await runCli(["init", "a", "b"])).toMatchObject({ code: 2, stderr: expect.stringContaining("init takes one directory") });
  });
});
