import { describe, expect, it } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseJsonc } from "jsonc-parser";
import * as v from "valibot";
import { loadProject } from "../../src/config/load.ts";
import { formatProblem } from "../../src/config/problems.ts";
import { McpProxyOptionsSchema as ProxyOptions } from "../../src/schemas/mcp-proxy-handler.ts";
import { writeProject } from "../helpers/project.ts";

// Every JSON block in the product docs we follow must load: whole files as projects, fragments merged
// into the page's worked example or validated against the schema they document. The blocks are copied
// into test/fixtures/seeds/, one file per doc page whose first line names the page, so the suite reads
// nothing outside the repository.
const SEEDS = join(import.meta.dir, "../fixtures/seeds");

interface Block {
  seed: string;
  text: string;
}

function blocks(): Block[] {
  const out: Block[] = [];
  for (const fixture of readdirSync(SEEDS).filter((f) => f.endsWith(".md")).sort()) {
    const text = readFileSync(join(SEEDS, fixture), "utf8");
    const seed = /^<!-- Source: seeds\/([a-z0-9-]+\.mdx)/.exec(text)?.[1];
    if (!seed) throw new Error(`${fixture} does not name the doc page it was copied from on its first line`);
    for (const m of text.matchAll(/```(?:jsonc?|json)[^\n]*\n([\s\S]*?)```/g)) out.push({ seed, text: m[1]! });
  }
  return out;
}

// Blocks that are not gateway configuration: a JSON-RPC response, client configs, a URL snippet.
const NOT_CONFIG = [/"jsonrpc"/, /"mcpServers"/, /^\/\/ Good\n"url"/];

const ENV = {
  AUTH0_DOMAIN: "example.us.auth0.com",
  AUTH0_CLIENT_ID: "client-id",
  AUTH0_CLIENT_SECRET: "client-secret-value",
};

type Json = Record<string, unknown>;
const jsonc = (t: string) => parseJsonc(t, [], { allowTrailingComma: true }) as Json;

function classify(b: Block) {
  if (NOT_CONFIG.some((re) => re.test(b.text.trim()))) return { kind: "other" as const };
  if (/^\s*(\/\/[^\n]*\n)?"\/mcp\//.test(b.text)) return { kind: "route-fragment" as const, value: jsonc(`{${b.text}}`) };
  if (/^\s*"x-zuplo-route"/.test(b.text)) return { kind: "x-zuplo-route" as const, value: jsonc(`{${b.text}}`) };
  if (/rewritePattern/.test(b.text) && !/"handler"/.test(b.text)) return { kind: "handler-options" as const };
  const value = jsonc(b.text) ?? {};
  if (typeof value !== "object") return { kind: "unknown" as const };
  if ("compatibilityDate" in value) return { kind: "zuplo" as const, value };
  if ("policies" in value) return { kind: "policies" as const, value };
  if ("policyType" in value) return { kind: "policy" as const, value };
  if ("paths" in value) return { kind: "routes" as const, value };
  return { kind: "unknown" as const };
}

function deepMerge(base: Json, patch: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    const prior = out[k];
    out[k] = v && typeof v === "object" && !Array.isArray(v) && prior && typeof prior === "object" && !Array.isArray(prior) ? deepMerge(prior as Json, v as Json) : v;
  }
  return out;
}

function expectLoads(dir: string) {
  const result = loadProject(dir, { env: ENV });
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join("\n"));
  return result.config;
}

describe("seed documentation examples", () => {
  const all = blocks();

  it("finds the seed JSON blocks and recognises every one", () => {
    expect(all.length).toBeGreaterThanOrEqual(15);
    const unknown = all.filter((b) => classify(b).kind === "unknown");
    expect(unknown.map((b) => `${b.seed}: ${b.text.slice(0, 60)}`)).toEqual([]);
  });

  for (const seed of [...new Set(all.map((b) => b.seed))]) {
    const mine = all.filter((b) => b.seed === seed).map((b) => ({ b, c: classify(b) }));
    if (mine.every(({ c }) => c.kind === "other")) continue;

    it(`${seed}: every configuration block loads`, () => {
      const zuplo = mine.find(({ c }) => c.kind === "zuplo")?.c.value ?? { version: 1, compatibilityDate: "2026-03-01" };
      const policies: Json[] = [];
      for (const { c } of mine) {
        if (c.kind === "policies") policies.push(...((c.value as { policies: Json[] }).policies));
        if (c.kind === "policy") policies.push(c.value as Json);
      }
      let routes = mine.find(({ c }) => c.kind === "routes")?.c.value as Json | undefined;
      const fragments = mine.filter(({ c }) => c.kind === "route-fragment").map(({ c }) => c.value as Json);
      const handlerRefs = mine.filter(({ c }) => c.kind === "x-zuplo-route").map(({ c }) => c.value as Json);

      // A bare x-zuplo-route block becomes a route of its own.
      for (const ref of handlerRefs) {
        routes = {
          openapi: "3.1.0",
          info: { title: seed, version: "1" },
          paths: { ...(routes?.paths as Json), "/mcp/from-fragment": { "get,post": { operationId: "fragment-mcp-server", ...ref } } },
        };
      }
      if (!routes) routes = { openapi: "3.1.0", info: { title: seed, version: "1" }, paths: {} };
      // Fragments update the page's worked example in place (e.g. appending a filter to a route's chain).
      for (const f of fragments) routes = { ...routes, paths: deepMerge(routes.paths as Json, f) };

      // Policies a page mentions but defines on another page are completed with the seed family's defaults.
      const defined = new Set(policies.map((p) => p.name));
      const referenced = Object.values(routes.paths as Record<string, Record<string, Json>>).flatMap((item) =>
        Object.values(item).flatMap((op) => ((op["x-zuplo-route"] as Json)?.policies as { inbound?: string[] })?.inbound ?? []),
      );
      for (const name of referenced.filter((n) => !defined.has(n))) {
        policies.push(
          name.startsWith("mcp-token-exchange-")
            ? { name, policyType: "mcp-token-exchange-inbound", handler: { module: "$import(@zuplo/runtime/mcp-gateway)", export: "McpTokenExchangeInboundPolicy", options: { displayName: name, authMode: "user-oauth" } } }
            : { name, policyType: "mcp-auth0-oauth-inbound", handler: { module: "$import(@zuplo/runtime/mcp-gateway)", export: "McpAuth0OAuthInboundPolicy", options: { auth0Domain: "$env(AUTH0_DOMAIN)", clientId: "$env(AUTH0_CLIENT_ID)", clientSecret: "$env(AUTH0_CLIENT_SECRET)" } } },
        );
        defined.add(name);
      }

      const config = expectLoads(writeProject({ zuplo, policies: { policies }, routes }));
      expect(config.policies.size).toBe(policies.length);
      for (const { b, c } of mine) {
        if (c.kind !== "handler-options") continue;
        // `{ … }` objects separated by comments: each must satisfy McpProxyHandler's options schema.
        // The loader resolves ${env.X} before the schema sees it; do the same here.
        const resolved = b.text.replace("${env.UPSTREAM_MCP_URL}", "https://upstream.example.com/mcp");
        for (const m of resolved.matchAll(/\{[^{}]*\}/g)) {
          const opts = jsonc(m[0]);
          const parsed = v.safeParse(ProxyOptions, opts);
          expect(parsed.issues?.map((i) => i.message) ?? []).toEqual([]);
        }
      }
    });
  }

  it("the multi-upstream example loads both routes with the filter last on Linear", () => {
    const seed = all.filter((b) => b.seed === "add-multiple-upstream-mcp-servers.mdx").map(classify);
    const policies = [...(seed.find((c) => c.kind === "policies")!.value as { policies: Json[] }).policies, seed.find((c) => c.kind === "policy")!.value as Json];
    const routes = seed.find((c) => c.kind === "routes")!.value as Json;
    const merged = { ...routes, paths: deepMerge(routes.paths as Json, seed.find((c) => c.kind === "route-fragment")!.value as Json) };
    const config = expectLoads(writeProject({ zuplo: seed.find((c) => c.kind === "zuplo")!.value as Json, policies: { policies }, routes: merged }));
    expect(config.routes.map((r) => [r.path, r.operationId, r.methods])).toEqual([
      ["/mcp/linear-v1", "linear-mcp-server", ["GET", "POST"]],
      ["/mcp/stripe-v1", "stripe-mcp-server", ["GET", "POST"]],
    ]);
    expect(config.routes[0]!.inbound.at(-1)).toBe("filter-linear-read-only");
    expect(config.secretValues).toContain("client-secret-value");
  });
});
