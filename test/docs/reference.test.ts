import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { ZuploFileDocs, ZuploFileSchema } from "../../src/config/project-file.ts";
import { findPolicyType, MCP_PROXY_HANDLER } from "../../src/schemas/catalog.ts";
import { optionTable } from "../../scripts/docs/option-rows.ts";
import { referencePages } from "../../scripts/docs/reference-pages.ts";

// docs/reference/ is generated from the valibot schemas (scripts/docs-reference.ts). This test renders
// it again in memory: a schema or description changed without regenerating fails here, in CI.

const root = join(import.meta.dir, "../..");

describe("generated configuration reference", () => {
  for (const [path, text] of referencePages()) {
    it(`${path} is what the schemas say now`, () => {
      const committed = readFileSync(join(root, path), "utf8");
      if (committed !== text) throw new Error(`${path} differs from the schemas: run npm run docs:reference and commit the result`);
    });
  }
});

describe("option table", () => {
  const Schema = v.pipe(
    v.strictObject({
      url: v.pipe(v.string(), v.url()),
      retries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(5)), 2),
      mode: v.optional(v.picklist(["fast", "safe"]), "safe"),
      limits: v.optional(v.strictObject({ bytes: v.optional(v.pipe(v.number(), v.minValue(1)), 1024) }), {}),
      headers: v.pipe(v.array(v.strictObject({ name: v.pipe(v.string(), v.regex(/^[a-z-]+$/, "must be lower case")), value: v.string() })), v.minLength(1)),
      certs: v.optional(v.record(v.string(), v.strictObject({ file: v.pipe(v.string(), v.minLength(1), v.description("A PEM file.")) })), {}),
    }),
    v.check((o) => o.mode === "safe" || o.retries === 0, "fast mode takes no retries"),
  );
  const docs = {
    summary: "A test schema.",
    options: {
      url: "Where.",
      retries: "How often.",
      mode: "How.",
      limits: "Limits.",
      "limits.bytes": "Bytes.",
      headers: "Headers.",
      "headers[].name": "Name.",
      "headers[].value": "Value.",
      certs: "Certificates.",
    },
  };

  it("lists every option with its type, default, constraints and description, in the schema's order", () => {
    const table = optionTable(Schema, docs, "test");
    expect(table.rows).toEqual([
      { path: "url", type: "string", required: true, constraints: ["an absolute URL"], description: "Where." },
      { path: "retries", type: "integer", required: false, defaultValue: "2", constraints: ["≥ 0", "≤ 5"], description: "How often." },
      { path: "mode", type: '"fast" | "safe"', required: false, defaultValue: '"safe"', constraints: [], description: "How." },
      { path: "limits", type: "object", required: false, defaultValue: "{}", constraints: [], description: "Limits." },
      { path: "limits.bytes", type: "number", required: false, defaultValue: "1024", constraints: ["≥ 1"], description: "Bytes." },
      { path: "headers", type: "object[]", required: true, constraints: ["at least 1 item"], description: "Headers." },
      { path: "headers[].name", type: "string", required: true, constraints: ["matches `/^[a-z-]+$/` (“must be lower case”)"], description: "Name." },
      { path: "headers[].value", type: "string", required: true, constraints: [], description: "Value." },
      { path: "certs", type: "{ <name>: object }", required: false, defaultValue: "{}", constraints: [], description: "Certificates." },
      // Described in the schema itself with v.description: no OptionDocs line needed.
      { path: "certs.<name>.file", type: "string", required: true, constraints: ["not empty"], description: "A PEM file." },
    ]);
    expect(table.rules).toEqual(["check: “fast mode takes no retries”"]);
    expect(table.unknownKeys).toBe("refused");
  });

  it("refuses an option without a description, and a description of an option that is gone", () => {
    const { retries: _, ...withoutRetries } = docs.options;
    expect(() => optionTable(Schema, { ...docs, options: withoutRetries }, "test")).toThrow("no description for: retries");
    expect(() => optionTable(Schema, { ...docs, options: { ...docs.options, timeout: "Gone." } }, "test")).toThrow("description for an option the schema does not have: timeout");
  });

  it("words a variant, a narrowing pipe, a limit that can be false, a raw check and a fractional bound", () => {
    const Variant = v.strictObject({
      registration: v.optional(
        v.variant("mode", [v.strictObject({ mode: v.literal("auto") }), v.strictObject({ mode: v.literal("manual"), clientId: v.string(), secret: v.optional(v.string()) })]),
        { mode: "auto" },
      ),
      authMode: v.pipe(v.string(), v.check((m) => m !== "old", "old is gone"), v.picklist(["a", "b"])),
      limit: v.optional(v.union([v.literal(false), v.strictObject({ perMinute: v.pipe(v.number(), v.minValue(1 / 60)) })]), false),
      host: v.pipe(v.string(), v.rawCheck(({ addIssue }) => addIssue({ message: "never" }))),
    });
    const words = {
      summary: "Variants.",
      options: { registration: "R.", "registration.mode": "M.", "registration.clientId": "C.", "registration.secret": "S.", authMode: "A.", limit: "L.", "limit.perMinute": "P.", host: "H." },
    };
    const rows = optionTable(Variant, words, "test").rows.map(({ path, type, required, constraints }) => ({ path, type, required, constraints }));
    expect(rows).toEqual([
      { path: "registration", type: "object", required: false, constraints: [] },
      { path: "registration.mode", type: '"auto" | "manual"', required: true, constraints: [] },
      { path: "registration.clientId", type: "string", required: false, constraints: ['required with mode "manual", taken only then'] },
      { path: "registration.secret", type: "string", required: false, constraints: ['only with mode "manual"'] },
      { path: "authMode", type: '"a" | "b"', required: true, constraints: ["check: “old is gone”"] },
      { path: "limit", type: "false | object", required: false, constraints: [] },
      { path: "limit.perMinute", type: "number", required: true, constraints: ["≥ 1/60"] },
      { path: "host", type: "string", required: true, constraints: ["further checks (see the description)"] },
    ]);
  });

  // The defaults in the tables are read from the schema objects; parsing an input that leaves every
  // option out must produce exactly those values.
  it("states the defaults the real schemas apply", () => {
    const at = (value: unknown, path: string) => path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], value);
    const cases = [
      { schema: ZuploFileSchema, docs: ZuploFileDocs, input: { compatibilityDate: "2026-03-01" } },
      { schema: MCP_PROXY_HANDLER.optionsSchema, docs: MCP_PROXY_HANDLER.docs, input: { rewritePattern: "https://mcp.example.com/mcp" } },
      { schema: findPolicyType("mcp-oauth-inbound")!.optionsSchema, docs: findPolicyType("mcp-oauth-inbound")!.docs!, input: { oidc: { issuer: "https://idp.example.com", jwksUrl: "https://idp.example.com/jwks" }, browserLogin: { url: "http://127.0.0.1:9000/oauth/dev-login" } } },
      { schema: findPolicyType("mcp-capability-filter-inbound")!.optionsSchema, docs: findPolicyType("mcp-capability-filter-inbound")!.docs!, input: {} },
      { schema: findPolicyType("set-upstream-api-key-inbound")!.optionsSchema, docs: findPolicyType("set-upstream-api-key-inbound")!.docs!, input: { value: "Bearer k" } },
      { schema: findPolicyType("mcp-auth0-oauth-inbound")!.optionsSchema, docs: findPolicyType("mcp-auth0-oauth-inbound")!.docs!, input: { clientId: "c", clientSecret: "s", auth0Domain: "acme.us.auth0.com" } },
      { schema: findPolicyType("mcp-ping-oauth-inbound")!.optionsSchema, docs: findPolicyType("mcp-ping-oauth-inbound")!.docs!, input: { clientId: "c", clientSecret: "s", environmentId: "00000000-0000-0000-0000-000000000000" } },
      { schema: findPolicyType("mcp-token-exchange-inbound")!.optionsSchema, docs: findPolicyType("mcp-token-exchange-inbound")!.docs!, input: { displayName: "Linear", authMode: "user-oauth" } },
      { schema: findPolicyType("rate-limit-inbound")!.optionsSchema, docs: findPolicyType("rate-limit-inbound")!.docs!, input: { rateLimitBy: "ip", requestsAllowed: 10, timeWindowMinutes: 1 } },
    ];
    let checked = 0;
    for (const { schema, docs, input } of cases) {
      const parsed = v.parse(schema, input);
      for (const row of optionTable(schema, docs, "real").rows) {
        // An object's default ({}) parses to its members' defaults, which have rows of their own.
        if (row.defaultValue === undefined || row.type === "object" || row.path.includes("[]") || row.path.includes("<name>")) continue;
        expect({ path: row.path, value: at(parsed, row.path) }).toEqual({ path: row.path, value: JSON.parse(row.defaultValue) });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });
});
