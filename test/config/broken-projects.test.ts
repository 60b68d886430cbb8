import { describe, expect, it } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { loadProject } from "../../src/config/load.ts";
import type { ConfigProblem } from "../../src/config/problems.ts";
import { mcpRoute, routesDoc, writeProject, type ProjectFiles } from "../helpers/project.ts";

const P = (name: string, policyType: string, exportName: string, options: object = {}, module = "$import(@zuplo/runtime/mcp-gateway)") => ({
  name,
  policyType,
  handler: { module, export: exportName, options },
});
const setHeaders = (name: string, options: object = { headers: [{ name: "x-a", value: "1" }] }) => P(name, "set-headers-inbound", "SetHeadersInboundPolicy", options, "$import(@zuplo/runtime)");
const auth0 = (name: string) => P(name, "mcp-auth0-oauth-inbound", "McpAuth0OAuthInboundPolicy", { auth0Domain: "x.auth0.com", clientId: "a", clientSecret: "b" });
const exchange = (name: string, options: object = {}) => P(name, "mcp-token-exchange-inbound", "McpTokenExchangeInboundPolicy", { displayName: name, authMode: "user-oauth", ...options });
const filter = (name: string) => P(name, "mcp-capability-filter-inbound", "McpCapabilityFilterInboundPolicy", { tools: ["a"] });
const UP = "https://upstream.example.com/mcp";

interface Case {
  name: string;
  files: ProjectFiles;
  env?: Record<string, string>;
  expect: { code: string; file: string; pointer: string; message?: RegExp }[];
}

const cases: Case[] = [
  {
    name: "a missing zuplo.jsonc",
    files: { zuplo: "" },
    expect: [{ code: "MCPGW_CONFIG_JSON_SYNTAX", file: "zuplo.jsonc", pointer: "" }],
  },
  {
    name: "a JSON syntax error in routes.oas.json",
    files: { routes: '{\n  "paths": {\n    "/mcp/a": { "post": } \n  }\n}' },
    expect: [{ code: "MCPGW_CONFIG_JSON_SYNTAX", file: "config/routes.oas.json", pointer: "" }],
  },
  {
    name: "a compatibility date older than MCP features need",
    files: { zuplo: { version: 1, compatibilityDate: "2025-06-01" }, routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", UP) } }) },
    expect: [{ code: "MCPGW_CONFIG_COMPATIBILITY_DATE_TOO_OLD", file: "zuplo.jsonc", pointer: "/compatibilityDate", message: /2026-03-01/ }],
  },
  {
    name: "a compatibility date that is not a date",
    files: { zuplo: { version: 1, compatibilityDate: "2026-02-30" } },
    expect: [{ code: "MCPGW_CONFIG_PROJECT_INVALID", file: "zuplo.jsonc", pointer: "/compatibilityDate" }],
  },
  {
    name: "an unknown key in the mcpgw block",
    files: { zuplo: { version: 1, compatibilityDate: "2026-03-01", mcpgw: { basepath: "/x" } } },
    expect: [{ code: "MCPGW_CONFIG_PROJECT_INVALID", file: "zuplo.jsonc", pointer: "/mcpgw/basepath", message: /Unknown option/ }],
  },
  {
    name: "a route without operationId",
    files: { routes: routesDoc({ "/mcp/a": { "get,post": { ...mcpRoute("x", UP), operationId: undefined } } }) },
    expect: [{ code: "MCPGW_CONFIG_MISSING_OPERATION_ID", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1a/get,post/operationId" }],
  },
  {
    name: "two routes with one operationId",
    files: { routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("same", UP) }, "/mcp/b": { "get,post": mcpRoute("same", UP) } }) },
    expect: [{ code: "MCPGW_CONFIG_DUPLICATE_OPERATION_ID", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1b/get,post/operationId" }],
  },
  {
    name: "one path and method defined twice",
    files: { routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", UP), post: mcpRoute("b", UP) } }) },
    expect: [{ code: "MCPGW_CONFIG_DUPLICATE_ROUTE", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1a/post", message: /POST \/mcp\/a/ }],
  },
  {
    name: "a path without a leading slash",
    files: { routes: routesDoc({ "mcp/a": { "get,post": mcpRoute("a", UP) } }) },
    expect: [{ code: "MCPGW_CONFIG_INVALID_PATH", file: "config/routes.oas.json", pointer: "/paths/mcp~1a" }],
  },
  {
    name: "a method key that is not a method",
    files: { routes: routesDoc({ "/mcp/a": { "get,fetch": mcpRoute("a", UP) } }) },
    expect: [{ code: "MCPGW_CONFIG_INVALID_METHOD", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1a/get,fetch", message: /fetch/ }],
  },
  {
    name: "a route under the gateway's reserved prefix",
    files: { routes: routesDoc({ "/__mcpgw/x": { post: mcpRoute("a", UP) } }) },
    expect: [{ code: "MCPGW_CONFIG_RESERVED_PATH", file: "config/routes.oas.json", pointer: "/paths/~1__mcpgw~1x" }],
  },
  {
    name: "two policies with one name",
    files: { policies: { policies: [setHeaders("dup"), setHeaders("dup")] } },
    expect: [{ code: "MCPGW_CONFIG_DUPLICATE_POLICY_NAME", file: "config/policies.json", pointer: "/policies/1/name" }],
  },
  {
    name: "a route naming a policy that does not exist",
    files: { routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", UP, ["nope"]) } }) },
    expect: [{ code: "MCPGW_CONFIG_UNKNOWN_POLICY_REFERENCE", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1a/get,post/x-zuplo-route/policies/inbound/0", message: /"nope"/ }],
  },
  {
    name: "a policy type mcpgw does not implement",
    files: { policies: { policies: [P("r", "rate-limit-inbound", "RateLimitInboundPolicy")] } },
    expect: [{ code: "MCPGW_CONFIG_UNKNOWN_POLICY_TYPE", file: "config/policies.json", pointer: "/policies/0/policyType", message: /rate-limit-inbound/ }],
  },
  {
    name: "a policy whose export does not match its type",
    files: { policies: { policies: [P("h", "set-headers-inbound", "SetHeaderPolicy", { headers: [{ name: "a", value: "b" }] })] } },
    expect: [{ code: "MCPGW_CONFIG_POLICY_EXPORT_MISMATCH", file: "config/policies.json", pointer: "/policies/0/handler/export" }],
  },
  {
    name: "a custom code module",
    files: { policies: { policies: [P("h", "set-headers-inbound", "SetHeadersInboundPolicy", {}, "$import(./modules/mine)")] } },
    expect: [{ code: "MCPGW_CONFIG_UNKNOWN_MODULE", file: "config/policies.json", pointer: "/policies/0/handler/module" }],
  },
  {
    name: "a handler mcpgw does not implement",
    files: { routes: routesDoc({ "/a": { get: { operationId: "a", "x-zuplo-route": { handler: { module: "$import(@zuplo/runtime)", export: "urlForwardHandler", options: {} } } } } }) },
    expect: [{ code: "MCPGW_CONFIG_UNKNOWN_HANDLER", file: "config/routes.oas.json", pointer: "/paths/~1a/get/x-zuplo-route/handler/export", message: /urlForwardHandler/ }],
  },
  {
    name: "an unknown policy option",
    files: { policies: { policies: [setHeaders("h", { headers: [{ name: "x-a", value: "1" }], overwite: true })] } },
    expect: [{ code: "MCPGW_CONFIG_POLICY_OPTIONS_INVALID", file: "config/policies.json", pointer: "/policies/0/handler/options/overwite" }],
  },
  {
    name: "an unset environment variable",
    files: { policies: { policies: [setHeaders("h", { headers: [{ name: "x-key", value: "Bearer $env(MISSING_KEY)" }] })] } },
    expect: [{ code: "MCPGW_CONFIG_ENV_UNSET", file: "config/policies.json", pointer: "/policies/0/handler/options/headers/0/value", message: /MISSING_KEY/ }],
  },
  {
    name: "an env reference outside options",
    files: { policies: { policies: [{ ...setHeaders("h"), name: "$env(NAME)" }] } },
    env: { NAME: "x" },
    expect: [{ code: "MCPGW_CONFIG_ENV_NOT_ALLOWED", file: "config/policies.json", pointer: "/policies/0/name" }],
  },
  {
    name: "a request-derived rewritePattern",
    files: { routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", "https://x.example.com/${params.id}") } }) },
    expect: [{ code: "MCPGW_CONFIG_HANDLER_OPTIONS_INVALID", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1a/get,post/x-zuplo-route/handler/options/rewritePattern", message: /request-derived/ }],
  },
  {
    name: "a rewritePattern from env that is not a URL",
    files: { routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", "${env.UPSTREAM}") } }) },
    env: { UPSTREAM: "ftp://files.example.com" },
    expect: [{ code: "MCPGW_CONFIG_HANDLER_OPTIONS_INVALID", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1a/get,post/x-zuplo-route/handler/options/rewritePattern", message: /http/ }],
  },
  {
    name: "a capability filter that is not the last inbound policy",
    files: {
      policies: { policies: [filter("f"), setHeaders("h")] },
      routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", UP, ["f", "h"]) } }),
    },
    expect: [{ code: "MCPGW_CONFIG_FILTER_NOT_LAST", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1a/get,post/x-zuplo-route/policies/inbound/0" }],
  },
  {
    name: "two MCP OAuth policies in use",
    files: {
      policies: { policies: [auth0("one"), auth0("two")] },
      routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", UP, ["one"]) }, "/mcp/b": { "get,post": mcpRoute("b", UP, ["two"]) } }),
    },
    expect: [{ code: "MCPGW_CONFIG_MULTIPLE_OAUTH_POLICIES", file: "config/routes.oas.json", pointer: "/paths" }],
  },
  {
    name: "two token-exchange policies on one route",
    files: {
      policies: { policies: [exchange("mcp-token-exchange-a"), exchange("mcp-token-exchange-b")] },
      routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", UP, ["mcp-token-exchange-a", "mcp-token-exchange-b"]) } }),
    },
    expect: [{ code: "MCPGW_CONFIG_MULTIPLE_TOKEN_EXCHANGE", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1a/get,post/x-zuplo-route/policies/inbound" }],
  },
  {
    name: "two token-exchange policies sharing an upstream id",
    files: { policies: { policies: [exchange("mcp-token-exchange-linear"), exchange("linear-v2", { id: "linear" })] } },
    expect: [{ code: "MCPGW_CONFIG_DUPLICATE_UPSTREAM_ID", file: "config/policies.json", pointer: "/policies/1/name", message: /"linear"/ }],
  },
  {
    name: "an mTLS certificate id that is not defined",
    files: { routes: routesDoc({ "/mcp/a": { "get,post": { ...mcpRoute("a", UP), "x-zuplo-route": { handler: { module: "$import(@zuplo/runtime)", export: "McpProxyHandler", options: { rewritePattern: UP, mtlsCertificate: "corp" } } } } } }) },
    expect: [{ code: "MCPGW_CONFIG_UNKNOWN_MTLS_CERTIFICATE", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1a/get,post/x-zuplo-route/handler/options/mtlsCertificate" }],
  },
  {
    name: "a CORS policy MCP routes do not support",
    files: { routes: routesDoc({ "/mcp/a": { "get,post": { ...mcpRoute("a", UP), "x-zuplo-route": { corsPolicy: "anything-goes", handler: { module: "$import(@zuplo/runtime)", export: "McpProxyHandler", options: { rewritePattern: UP } } } } } }) },
    expect: [{ code: "MCPGW_CONFIG_UNSUPPORTED_CORS_POLICY", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1a/get,post/x-zuplo-route/corsPolicy" }],
  },
  {
    name: "a duplicated JSON key",
    files: { routes: '{ "paths": { "/mcp/a": { "post": {} }, "/mcp/a": { "post": {} } } }' },
    expect: [{ code: "MCPGW_CONFIG_DUPLICATE_KEY", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1a" }],
  },
];

function problems(c: Case): ConfigProblem[] {
  const dir = writeProject(c.files);
  if (c.files.zuplo === "") rmSync(join(dir, "zuplo.jsonc"));
  try {
    const result = loadProject(dir, { env: c.env ?? {} });
    return result.ok ? [] : result.problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("config validation of broken projects", () => {
  it("reports a missing zuplo.jsonc as a missing file", () => {
    const dir = writeProject({});
    rmSync(join(dir, "zuplo.jsonc"));
    const result = loadProject(dir, { env: {} });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems[0]).toMatchObject({ code: "MCPGW_CONFIG_FILE_MISSING", file: "zuplo.jsonc", pointer: "" });
  });

  for (const c of cases.filter((c) => c.files.zuplo !== "")) {
    it(`rejects ${c.name}`, () => {
      const found = problems(c).filter((p) => p.severity === "error");
      for (const want of c.expect) {
        const hit = found.find((p) => p.code === want.code && p.file === want.file && p.pointer === want.pointer);
        if (!hit) throw new Error(`expected ${want.code} at ${want.file} ${want.pointer}; got:\n${JSON.stringify(found, null, 1)}`);
        if (want.message) expect(hit.message).toMatch(want.message);
        expect(hit.hint.length).toBeGreaterThan(10);
        if (!c.files.routes || typeof c.files.routes === "object" || want.code === "MCPGW_CONFIG_JSON_SYNTAX") expect(hit.line).toBeGreaterThan(0);
      }
    });
  }

  it("places a syntax error at its line and column", () => {
    const [p] = problems(cases[1]!);
    expect(p).toMatchObject({ line: 3, file: "config/routes.oas.json" });
    expect(p!.column).toBeGreaterThan(1);
  });

  it("reports every problem of every file at once", () => {
    const found = problems({
      name: "many",
      files: {
        zuplo: { version: 1, compatibilityDate: "2025-01-01" },
        policies: { policies: [setHeaders("dup"), setHeaders("dup"), P("x", "nope-inbound", "Nope")] },
        routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", "https://x/${params.a}", ["missing"]) }, "/mcp/b": { "get,post": { ...mcpRoute("b", UP), operationId: undefined } } }),
      },
      expect: [],
    });
    const codes = new Set(found.map((p) => p.code));
    for (const code of ["MCPGW_CONFIG_DUPLICATE_POLICY_NAME", "MCPGW_CONFIG_UNKNOWN_POLICY_TYPE", "MCPGW_CONFIG_HANDLER_OPTIONS_INVALID", "MCPGW_CONFIG_MISSING_OPERATION_ID"]) {
      expect(codes).toContain(code);
    }
  });
});
