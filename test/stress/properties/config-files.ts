import fc from "fast-check";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadProject } from "../../../src/config/load.ts";
import { policy } from "../../helpers/gateway.ts";
import { MCP_ZUPLO, mcpRoute, routesDoc } from "../../helpers/project.ts";
import { oauthPolicy, OAUTH_POLICY } from "../../oauth/helpers.ts";
import { checkProperty, prng, type FuzzProperty } from "./property.ts";

// Project files as a careless (or hostile) editor leaves them: a valid project with values replaced
// at random places, members dropped or repeated, JSONC comments and trailing commas, truncation, a
// BOM, bytes that are not UTF-8, $env references to nothing. loadProject must never throw: it answers
// with a config or with problems, each carrying a code, the file and a hint.

const VALID = {
  "zuplo.jsonc": { ...MCP_ZUPLO, mcpgw: { basePath: "/", proxy: { requestTimeoutMs: 5000, maxJsonDepth: 32 }, devLogin: { users: { alice: { roles: ["dev"] } } } } },
  "config/policies.json": {
    policies: [oauthPolicy(), policy("filter", "mcp-capability-filter-inbound", "McpCapabilityFilterInboundPolicy", { tools: ["echo", { name: "add", description: "Add" }], accessControl: { mode: "allPublic" } })],
  },
  "config/routes.oas.json": routesDoc({
    "/mcp/a": { "get,post": mcpRoute("a", "http://127.0.0.1:9/mcp", [OAUTH_POLICY, "filter"]) },
    "/mcp/b": { post: mcpRoute("b", "$env(UPSTREAM_B)", []) },
  }),
} as const;
type FileName = keyof typeof VALID;
const FILES = Object.keys(VALID) as FileName[];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const replacement: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>("$env(MISSING)", "$env(UPSTREAM_B)", "$import(@zuplo/runtime)", "", -1, 0, 1e300, "\u0000", "../../etc/passwd", [], {}, "mcpgw:demo", "http://", "2026-02-30", "function"),
);

/** Every path (list of keys) into a JSON value. */
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

interface Mutation {
  readonly file: FileName;
  readonly at: number;
  readonly op: "replace" | "delete" | "rename";
  readonly value: Json;
  readonly name: string;
}

function mutate(doc: Json, m: Mutation): Json {
  const copy = structuredClone(doc);
  const all = paths(copy).filter((p) => p.length > 0);
  if (all.length === 0) return m.value;
  const path = all[m.at % all.length]!;
  let parent: Json = copy;
  for (const key of path.slice(0, -1)) parent = (parent as Record<string | number, Json>)[key]!;
  const key = path.at(-1)!;
  const container = parent as Record<string | number, Json>;
  if (m.op === "replace") container[key] = m.value;
  else if (Array.isArray(parent)) parent.splice(Number(key), 1);
  else if (m.op === "delete") delete container[key];
  else {
    container[m.name] = container[key]!;
    delete container[key];
  }
  return copy;
}

type TextDamage = "none" | "comments" | "trailing-comma" | "truncate" | "bom" | "latin1" | "duplicate-key" | "empty";

function damage(text: string, how: TextDamage, rnd: () => number): Uint8Array {
  const at = Math.floor(rnd() * (text.length + 1));
  const encode = (s: string) => new TextEncoder().encode(s);
  switch (how) {
    case "none":
      return encode(text);
    case "comments":
      return encode(`// a comment\n${text.replace(/,/, ", /* inline */")}\n/* unterminated`);
    case "trailing-comma":
      return encode(text.replace(/\}\s*$/, ",}").replace(/\]/, ",]"));
    case "truncate":
      return encode(text.slice(0, at));
    case "bom":
      return encode(`\ufeff${text}`);
    case "latin1":
      return new Uint8Array([...encode(text.slice(0, at)), 0xe9, 0xff, ...encode(text.slice(at))]);
    case "duplicate-key":
      return encode(text.replace(/\{/, '{"version": 2, '));
    case "empty":
      return new Uint8Array();
  }
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  file: fc.constantFrom(...FILES),
  at: fc.nat(),
  op: fc.constantFrom("replace", "delete", "rename"),
  value: replacement,
  name: fc.oneof(fc.constantFrom("policies", "paths", "x-zuplo-route", "handler", "options", "mcpgw", "inbound", "__proto__", "constructor"), fc.string({ maxLength: 8 })),
});

const CODE = /^MCPGW_[A-Z0-9_]+$/;

export const configFiles: FuzzProperty = {
  name: "config files through loadProject",
  async run(_target, options) {
    let cases = 0;
    const dir = mkdtempSync(join(tmpdir(), "mcpgw-fuzz-config-"));
    mkdirSync(join(dir, "config"));
    const damages: TextDamage[] = ["none", "comments", "trailing-comma", "truncate", "bom", "latin1", "duplicate-key", "empty"];
    await checkProperty(
      fc.asyncProperty(fc.array(mutation, { minLength: 0, maxLength: 4 }), fc.constantFrom(...FILES), fc.constantFrom(...damages), fc.integer(), async (mutations, damaged, how, seed) => {
        cases++;
        const rnd = prng(seed);
        for (const file of FILES) {
          let doc = VALID[file] as unknown as Json;
          for (const m of mutations) if (m.file === file) doc = mutate(doc, m);
          const text = JSON.stringify(doc, null, 2);
          writeFileSync(join(dir, file), file === damaged ? damage(text, how, rnd) : text);
        }
        const started = performance.now();
        let result: ReturnType<typeof loadProject>;
        try {
          result = loadProject(dir, { env: { UPSTREAM_B: "http://127.0.0.1:9/b" } });
        } catch (err) {
          throw new Error(`loadProject threw ${(err as Error).stack}\nmutations: ${JSON.stringify(mutations)} damage ${how} on ${damaged}`);
        }
        const tookMs = performance.now() - started;
        if (tookMs > options.watchdogMs) throw new Error(`loadProject took ${Math.round(tookMs)} ms (watchdog ${options.watchdogMs} ms)`);
        if (result.ok) return;
        if (result.problems.length === 0) throw new Error("not ok, and no problem reported");
        for (const p of result.problems) {
          if (!CODE.test(p.code) || typeof p.message !== "string" || p.message === "" || typeof p.hint !== "string" || !FILES.includes(p.file as FileName) && p.file !== ".env") {
            throw new Error(`a problem without a code, message, hint or file: ${JSON.stringify(p)}\nmutations: ${JSON.stringify(mutations)} damage ${how} on ${damaged}`);
          }
        }
      }),
      options,
    );
    return cases;
  },
};
