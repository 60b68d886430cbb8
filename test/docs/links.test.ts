import { describe, expect, it } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { Glob } from "bun";
import { headingAnchors, relativeLinks } from "../../scripts/docs/markdown-links.ts";

// The docs index names every page, and no link between pages points at a file or heading that is gone.

const root = join(import.meta.dir, "../..");
const pages = [...new Glob("docs/**/*.md").scanSync({ cwd: root })].sort();

function brokenLinks(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  const out: string[] = [];
  for (const link of relativeLinks(text)) {
    const [path, anchor] = link.split("#");
    const target = path ? resolve(dirname(join(root, file)), path) : join(root, file);
    if (!existsSync(target)) out.push(`${file}: ${link} (no such file)`);
    else if (anchor && target.endsWith(".md") && !headingAnchors(readFileSync(target, "utf8")).has(anchor)) out.push(`${file}: ${link} (no such heading)`);
  }
  return out;
}

describe("docs", () => {
  it("docs/README.md links every page under docs/", () => {
    const index = join(root, "docs/README.md");
    const linked = new Set(relativeLinks(readFileSync(index, "utf8")).map((l) => relative(root, resolve(dirname(index), l.split("#")[0]!))));
    expect(pages.filter((p) => p !== "docs/README.md" && !linked.has(p))).toEqual([]);
  });

  it("has no relative link to a missing file or heading", () => {
    expect([...pages, "README.md"].flatMap(brokenLinks)).toEqual([]);
  });
});

describe("link helpers", () => {
  it("anchors headings as GitHub does, and skips fenced code", () => {
    const page = "# Operating mcpgw\n## zuplo.jsonc\n### Online backups: `.backup` or `VACUUM INTO`\n## Notes\n## Notes\n```bash\n# not a heading\n```\n";
    expect([...headingAnchors(page)]).toEqual(["operating-mcpgw", "zuplojsonc", "online-backups-backup-or-vacuum-into", "notes", "notes-1"]);
  });
  it("finds relative links only", () => {
    expect(relativeLinks("[a](proxy.md#x) [b](https://example.com) [c](#local) `[d](in-code.md)`\n```\n[e](fenced.md)\n```")).toEqual(["proxy.md#x", "#local", "in-code.md"]);
  });
});
