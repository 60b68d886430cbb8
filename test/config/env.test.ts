import { describe, expect, it } from "bun:test";
import { parseDotEnv } from "../../src/config/env.ts";
import { loadProject } from "../../src/config/load.ts";
import { MCP_ZUPLO, mcpRoute, routesDoc, writeProject } from "../helpers/project.ts";

describe(".env parsing", () => {
  it("reads plain, exported, quoted and commented values", () => {
    const env = parseDotEnv(`# comment\nA=1\nexport B = two\nC="three # not a comment"\nD='single'\nE=value # trailing comment\n\nF="line\\nbreak"\n`);
    expect(Object.fromEntries(env.values)).toEqual({ A: "1", B: "two", C: "three # not a comment", D: "single", E: "value", F: "line\nbreak" });
  });

  it("marks the variable after a # @secret line as secret, and only that one", () => {
    const env = parseDotEnv("# @secret\nSESSION_SALT=abc\nPLAIN=x\n");
    expect([...env.marked]).toEqual(["SESSION_SALT"]);
  });
});

describe("environment substitution", () => {
  const project = (dotenv: string) =>
    writeProject({
      dotenv,
      policies: {
        policies: [
          {
            name: "key",
            policyType: "set-upstream-api-key-inbound",
            handler: { module: "$import(@zuplo/runtime)", export: "SetUpstreamApiKeyInboundPolicy", options: { value: "Bearer $env(UPSTREAM_API_KEY)" } },
          },
          {
            name: "hdr",
            policyType: "set-headers-inbound",
            handler: { module: "$import(@zuplo/runtime)", export: "SetHeadersInboundPolicy", options: { headers: [{ name: "x-team", value: "${env.TEAM}-$env(REGION)" }] } },
          },
        ],
      },
      routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", "${env.UPSTREAM_URL}", ["key", "hdr"]) } }),
    });

  it("resolves $env(X) and ${env.X} from .env, with the process environment winning", () => {
    const dir = project("UPSTREAM_API_KEY=from-dotenv-key\nTEAM=blue\nREGION=eu\nUPSTREAM_URL=https://dotenv.example.com/mcp\n");
    const result = loadProject(dir, { env: { UPSTREAM_URL: "https://process.example.com/mcp" } });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const [route] = result.config.routes;
    expect((route!.handler.options as { rewritePattern: string }).rewritePattern).toBe("https://process.example.com/mcp");
    expect(result.config.policies.get("hdr")!.options).toEqual({ headers: [{ name: "x-team", value: "blue-eu", overwrite: true }] });
    expect(result.config.policies.get("key")!.options).toMatchObject({ value: "Bearer from-dotenv-key", header: "authorization" });
    // UPSTREAM_API_KEY is secret by name; TEAM is not.
    expect(result.config.secretValues).toEqual(["from-dotenv-key"]);
  });

  it("returns a deeply frozen config", () => {
    const dir = project("UPSTREAM_API_KEY=k-123456\nTEAM=a\nREGION=b\nUPSTREAM_URL=https://u.example.com/mcp\n");
    const result = loadProject(dir, { env: {} });
    if (!result.ok) throw new Error("invalid");
    expect(Object.isFrozen(result.config.routes[0]!.handler.options)).toBe(true);
    expect(() => (result.config.routes as RouteLike[]).push({})).toThrow();
  });
});
type RouteLike = object;

describe("mcpgw.store", () => {
  it("takes the PostgreSQL URL from $env, keeps the password out of the log, and defaults the token cache to 10 s", () => {
    const dir = writeProject({ zuplo: { ...MCP_ZUPLO, mcpgw: { store: "$env(MCPGW_DB_URL)" } }, dotenv: "# @secret\nMCPGW_DB_URL=postgres://mcpgw:pw@db:5432/mcpgw\n" });
    const result = loadProject(dir, { env: {} });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config.settings.store).toBe("postgres://mcpgw:pw@db:5432/mcpgw");
    expect(result.config.secretValues).toContain("postgres://mcpgw:pw@db:5432/mcpgw");
    expect(result.config.settings.oauth?.tokenCacheSeconds).toBe(10);
  });
});
