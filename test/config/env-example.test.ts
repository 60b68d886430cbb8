import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDotEnv } from "../../src/config/env.ts";
import { loadProject } from "../../src/config/load.ts";

// .env.example is what a newcomer copies to .env: it lists only variables the example project (this
// repository's zuplo.jsonc and config/) reads, and the project loads with it as its .env.

const REPO = join(import.meta.dir, "../..");
const example = parseDotEnv(readFileSync(join(REPO, ".env.example"), "utf8"));
const projectText = ["zuplo.jsonc", "config/policies.json", "config/routes.oas.json"].map((f) => readFileSync(join(REPO, f), "utf8")).join("\n");

describe(".env.example", () => {
  it("sets no variable the example project does not use", () => {
    const unused = [...example.values.keys()].filter((name) => !projectText.includes(`$env(${name})`) && !projectText.includes(`\${env.${name}}`));
    expect(unused).toEqual([]);
  });

  it("leaves the example project valid", () => {
    const result = loadProject(REPO, { env: Object.fromEntries(example.values) });
    expect(result.ok).toBe(true);
  });
});
