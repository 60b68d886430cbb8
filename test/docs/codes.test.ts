import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Glob } from "bun";
import { coverage } from "../../scripts/docs/code-coverage.ts";

// docs/reference/codes.md is written by hand (each code needs its fix in words); this holds it to the
// source: every MCPGW_… name in src/ has an entry, and every name the page uses still exists.

const root = join(import.meta.dir, "../..");
const texts = (dir: string) => [...new Glob(`${dir}/**/*.ts`).scanSync({ cwd: root })].sort().map((f) => readFileSync(join(root, f), "utf8"));

describe("docs/reference/codes.md", () => {
  const src = texts("src");
  const scripts = texts("scripts");
  const page = readFileSync(join(root, "docs/reference/codes.md"), "utf8");

  it("has an entry for every MCPGW_ code and variable in src/, and names none that is gone", () => {
    const result = coverage(src, [...src, ...scripts], page);
    if (result.missing.length || result.unknown.length || result.duplicated.length) {
      throw new Error(
        [
          result.missing.length ? `no entry in docs/reference/codes.md for: ${result.missing.join(", ")} (add a row with what it means and what to do)` : "",
          result.unknown.length ? `docs/reference/codes.md names codes no source has: ${result.unknown.join(", ")} (remove them)` : "",
          result.duplicated.length ? `docs/reference/codes.md has two entries for: ${result.duplicated.join(", ")}` : "",
        ].filter(Boolean).join("\n"),
      );
    }
    expect(src.length).toBeGreaterThan(50);
  });
});

describe("code coverage check", () => {
  const page = "| `MCPGW_A_ONE` | x |\n| `MCPGW_GONE` | y |\nSee also `MCPGW_OLD_NAME` and MCPGW_A_ONE.\n| `MCPGW_A_ONE` | again |";
  it("reports a code without an entry, a page name no source has, and a second entry", () => {
    const source = 'throw new StoreError("MCPGW_A_ONE", …); sink.add("MCPGW_B_TWO", …); process.env.MCPGW_GONE';
    expect(coverage([source], [source], page)).toEqual({ missing: ["MCPGW_B_TWO"], unknown: ["MCPGW_OLD_NAME"], duplicated: ["MCPGW_A_ONE"] });
  });
  it("counts a mention outside a table row as no entry", () => {
    expect(coverage(["MCPGW_OLD_NAME"], ["MCPGW_OLD_NAME"], page).missing).toEqual(["MCPGW_OLD_NAME"]);
  });
});
