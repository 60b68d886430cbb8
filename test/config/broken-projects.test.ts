import { describe, expect, it } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { loadProject } from "../../src/config/load.ts";
import type { ConfigProblem } from "../../src/config/problems.ts";
import { MCP_ZUPLO, mcpRoute, routesDoc, writeProject, type ProjectFiles } from "../helpers/project.ts";

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

interface Expected {
  code: string;
  file: string;
  pointer: string;
  message?: RegExp;
  hint?: RegExp;
  /** What the hint must not say. */
  hintNot?: RegExp;
}

interface Case {
  name: string;
  files: ProjectFiles;
  env?: Record<string, string>;
  /** Every error the project yields, no more: one mistake is reported once, with its root cause. */
  expect: Expected[];
  /** When given, every warning it yields. */
  warnings?: Expected[];
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
    name: "a store that is neither sqlite nor a postgres:// URL",
    files: { zuplo: { ...MCP_ZUPLO, mcpgw: { store: "mysql://db/mcpgw" } } },
    expect: [{ code: "MCPGW_CONFIG_PROJECT_INVALID", file: "zuplo.jsonc", pointer: "/mcpgw/store", message: /postgres:\/\// }],
  },
  {
    name: "a token cache age beyond an hour",
    files: { zuplo: { ...MCP_ZUPLO, mcpgw: { oauth: { tokenCacheSeconds: 7200 } } } },
    expect: [{ code: "MCPGW_CONFIG_PROJECT_INVALID", file: "zuplo.jsonc", pointer: "/mcpgw/oauth/tokenCacheSeconds" }],
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
    files: { policies: { policies: [P("q", "quota-inbound", "QuotaInboundPolicy")] } },
    // The list names only what works: every implemented type (the IdP wrappers, the token exchange and rate-limit-inbound included).
    expect: [{ code: "MCPGW_CONFIG_UNKNOWN_POLICY_TYPE", file: "config/policies.json", pointer: "/policies/0/policyType", message: /quota-inbound/, hint: /set-headers-inbound.*mcp-okta-oauth-inbound|mcp-okta-oauth-inbound.*set-headers-inbound/, hintNot: /Did you mean/ }],
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
    expect: [{ code: "MCPGW_CONFIG_HANDLER_OPTIONS_INVALID", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1a/get,post/x-zuplo-route/handler/options/rewritePattern", message: /http.*\$\{env\.UPSTREAM\} is "ftp:\/\/files\.example\.com"/ }],
  },
  {
    name: "a rewritePattern from a secret env variable that is not a URL, without showing the value",
    files: { routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", "${env.UPSTREAM_TOKEN}") } }) },
    env: { UPSTREAM_TOKEN: "tok_live_9f8e7d" },
    expect: [{ code: "MCPGW_CONFIG_HANDLER_OPTIONS_INVALID", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1a/get,post/x-zuplo-route/handler/options/rewritePattern", message: /^(?!.*tok_live_9f8e7d).*\$\{env\.UPSTREAM_TOKEN\} is set \(a secret: value not shown\)/ }],
  },
  {
    name: "an unset ${env.UPSTREAM_MCP_URL} and an unset API key: one error each, nothing that follows from them",
    files: {
      policies: { policies: [P("api-key", "set-upstream-api-key-inbound", "SetUpstreamApiKeyInboundPolicy", { value: "Bearer $env(UPSTREAM_API_KEY)" })] },
      routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", "${env.UPSTREAM_MCP_URL}", ["api-key"]) } }),
    },
    expect: [
      { code: "MCPGW_CONFIG_ENV_UNSET", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1a/get,post/x-zuplo-route/handler/options/rewritePattern", message: /UPSTREAM_MCP_URL/ },
      { code: "MCPGW_CONFIG_ENV_UNSET", file: "config/policies.json", pointer: "/policies/0/handler/options/value", message: /UPSTREAM_API_KEY/ },
    ],
  },
  {
    name: "$env() in a route path key (a build error in Zuplo)",
    files: { routes: routesDoc({ "/mcp/$env(P)": { "get,post": mcpRoute("a", UP) } }) },
    env: { P: "linear" },
    expect: [{ code: "MCPGW_CONFIG_ENV_NOT_ALLOWED", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1$env(P)", message: /route path/ }],
  },
  {
    name: "${env.X} in a route path key",
    files: { routes: routesDoc({ "/mcp/${env.P}": { "get,post": mcpRoute("a", UP) } }) },
    env: { P: "linear" },
    expect: [{ code: "MCPGW_CONFIG_ENV_NOT_ALLOWED", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1${env.P}" }],
  },
  {
    name: "get and post of one MCP path written apart, with two operationIds",
    files: { routes: routesDoc({ "/mcp/a": { get: mcpRoute("a-get", UP), post: mcpRoute("a-post", UP) } }) },
    expect: [{ code: "MCPGW_CONFIG_SPLIT_MCP_ROUTE", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1a/post", message: /"a-get".*"a-post"/, hint: /"get,post"/ }],
  },
  {
    name: "a typo in policyType: the type is reported, not the route's reference nor a missing OAuth policy",
    files: {
      policies: { policies: [{ ...auth0("oauth"), policyType: "mcp-auth0-oauth-inbund" }] },
      routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", UP, ["oauth"]) } }),
    },
    expect: [{ code: "MCPGW_CONFIG_UNKNOWN_POLICY_TYPE", file: "config/policies.json", pointer: "/policies/0/policyType", hint: /Did you mean "mcp-auth0-oauth-inbound"\?/ }],
    warnings: [],
  },
  {
    name: "a misspelt implemented policy type",
    files: { policies: { policies: [P("h", "set-header-inbound", "SetHeadersInboundPolicy", { headers: [{ name: "x-a", value: "1" }] })] } },
    expect: [{ code: "MCPGW_CONFIG_UNKNOWN_POLICY_TYPE", file: "config/policies.json", pointer: "/policies/0/policyType", hint: /^Did you mean "set-headers-inbound"\?/ }],
  },
  {
    name: "a typo in export: the export is reported, not the route's reference nor a missing OAuth policy",
    files: {
      policies: { policies: [{ ...auth0("oauth"), handler: { ...auth0("oauth").handler, export: "McpAuth0OAuthInboundPolicyy" } }] },
      routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", UP, ["oauth"]) } }),
    },
    expect: [{ code: "MCPGW_CONFIG_POLICY_EXPORT_MISMATCH", file: "config/policies.json", pointer: "/policies/0/handler/export" }],
    warnings: [],
  },
  {
    name: "a missing comma in policies.json: one syntax error, no references reported as undefined",
    files: {
      policies: `{ "policies": [\n  ${JSON.stringify(auth0("oauth"))}\n  ${JSON.stringify(setHeaders("h"))}\n] }`,
      routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", UP, ["oauth", "h"]) } }),
    },
    expect: [{ code: "MCPGW_CONFIG_JSON_SYNTAX", file: "config/policies.json", pointer: "", message: /comma/ }],
    warnings: [],
  },
  {
    name: "a truncated policies.json: one syntax error",
    files: {
      policies: JSON.stringify({ policies: [auth0("oauth"), setHeaders("h")] }, null, 2).slice(0, 200),
      routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", UP, ["oauth"]) } }),
    },
    expect: [{ code: "MCPGW_CONFIG_JSON_SYNTAX", file: "config/policies.json", pointer: "", message: /cut short/ }],
    warnings: [],
  },
  {
    name: "a policies.json that is not a list of policies: one error, no references reported as undefined",
    files: { policies: { policy: [auth0("oauth")] }, routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", UP, ["oauth"]) } }) },
    expect: [{ code: "MCPGW_CONFIG_POLICIES_INVALID", file: "config/policies.json", pointer: "/policies" }],
    warnings: [],
  },
  {
    name: "a misspelt policy reference, with the defined name suggested",
    files: { policies: { policies: [auth0("dev-oauth")] }, routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", UP, ["dev-oath"]) } }) },
    expect: [{ code: "MCPGW_CONFIG_UNKNOWN_POLICY_REFERENCE", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1a/get,post/x-zuplo-route/policies/inbound/0", hint: /^Did you mean "dev-oauth"\?/ }],
    warnings: [],
  },
  {
    name: "a misspelt handler export",
    files: { routes: routesDoc({ "/mcp/a": { "get,post": { ...mcpRoute("a", UP), "x-zuplo-route": { handler: { module: "$import(@zuplo/runtime)", export: "McpProxyHandlr", options: { rewritePattern: UP } } } } } }) },
    expect: [{ code: "MCPGW_CONFIG_UNKNOWN_HANDLER", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1a/get,post/x-zuplo-route/handler/export", hint: /^Did you mean "McpProxyHandler"\?/ }],
  },
  {
    name: "an mTLS certificate whose key file cannot be read: the file is reported, not the route's reference to the id",
    files: {
      zuplo: { ...MCP_ZUPLO, mcpgw: { mtlsCertificates: { corp: { certFile: "missing.crt", keyFile: "missing.key" } } } },
      routes: routesDoc({ "/mcp/a": { "get,post": { ...mcpRoute("a", UP), "x-zuplo-route": { handler: { module: "$import(@zuplo/runtime)", export: "McpProxyHandler", options: { rewritePattern: UP, mtlsCertificate: "corp" } } } } } }),
    },
    expect: [
      { code: "MCPGW_CONFIG_MTLS_FILE_UNREADABLE", file: "zuplo.jsonc", pointer: "/mcpgw/mtlsCertificates/corp/certFile" },
      { code: "MCPGW_CONFIG_MTLS_FILE_UNREADABLE", file: "zuplo.jsonc", pointer: "/mcpgw/mtlsCertificates/corp/keyFile" },
    ],
  },
  {
    name: "a syntax error in zuplo.jsonc: no cross-file errors about the settings it would have held",
    files: {
      zuplo: '{ "compatibilityDate": "2026-03-01", "mcpgw": { "mtlsCertificates": { "corp": { "certFile": "a" "keyFile": "b" } } } }',
      routes: routesDoc({ "/mcp/a": { "get,post": { ...mcpRoute("a", UP), "x-zuplo-route": { handler: { module: "$import(@zuplo/runtime)", export: "McpProxyHandler", options: { rewritePattern: UP, mtlsCertificate: "corp" } } } } } }),
    },
    expect: [{ code: "MCPGW_CONFIG_JSON_SYNTAX", file: "zuplo.jsonc", pointer: "" }],
  },
  {
    name: "a capability filter that is not the last inbound policy (Zuplo's [oauth, filter, remove-authorization-header, set-api-key]), with a warning",
    files: {
      policies: { policies: [auth0("oauth"), filter("f"), P("remove-authorization-header", "remove-headers-inbound", "RemoveHeadersInboundPolicy", { headers: ["authorization"] }), P("set-api-key", "set-upstream-api-key-inbound", "SetUpstreamApiKeyInboundPolicy", { value: "k" })] },
      routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", UP, ["oauth", "f", "remove-authorization-header", "set-api-key"]) } }),
    },
    expect: [],
    warnings: [{ code: "MCPGW_CONFIG_FILTER_NOT_LAST", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1a/get,post/x-zuplo-route/policies/inbound/1", hint: /in any position|docs\/capability-filter\.md/ }],
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
    name: "a token-exchange policy before the MCP OAuth policy",
    files: {
      policies: { policies: [exchange("mcp-token-exchange-a"), auth0("auth")] },
      routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", UP, ["mcp-token-exchange-a", "auth"]) } }),
    },
    expect: [{ code: "MCPGW_CONFIG_TOKEN_EXCHANGE_WITHOUT_OAUTH", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1a/get,post/x-zuplo-route/policies/inbound/0" }],
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
    files: { routes: `{ "paths": { "/mcp/a": { "post": ${JSON.stringify(mcpRoute("a", UP))} }, "/mcp/a": { "post": ${JSON.stringify(mcpRoute("b", UP))} } } }` },
    expect: [{ code: "MCPGW_CONFIG_DUPLICATE_KEY", file: "config/routes.oas.json", pointer: "/paths/~1mcp~1a" }],
  },
];

function problems(c: Case): ConfigProblem[] {
  const dir = writeProject(c.files);
  if (c.files.zuplo === "") rmSync(join(dir, "zuplo.jsonc"));
  try {
    const result = loadProject(dir, { env: c.env ?? {} });
    return result.ok ? [...result.config.warnings] : result.problems;
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

  const matches = (found: ConfigProblem[], wanted: Expected[], c: Case) => {
    const where = (p: { code: string; file: string; pointer: string }) => `${p.code} at ${p.file} ${p.pointer}`;
    expect(found.map(where).sort()).toEqual(wanted.map(where).sort());
    for (const want of wanted) {
      const hit = found.find((p) => where(p) === where(want))!;
      if (want.message) expect(hit.message).toMatch(want.message);
      if (want.hint) expect(hit.hint).toMatch(want.hint);
      if (want.hintNot) expect(hit.hint).not.toMatch(want.hintNot);
      expect(hit.hint.length).toBeGreaterThan(10);
      if (!c.files.routes || typeof c.files.routes === "object" || want.code === "MCPGW_CONFIG_JSON_SYNTAX") expect(hit.line).toBeGreaterThan(0);
    }
  };

  for (const c of cases.filter((c) => c.files.zuplo !== "")) {
    it(`${c.expect.length > 0 ? "rejects" : "accepts"} ${c.name}`, () => {
      const found = problems(c);
      matches(found.filter((p) => p.severity === "error"), c.expect, c);
      if (c.warnings) matches(found.filter((p) => p.severity === "warning"), c.warnings, c);
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
