import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { referencePages } from "./docs/reference-pages.ts";

// `npm run docs:reference`: writes docs/reference/ from the valibot schemas (scripts/docs/reference-pages.ts).
// `--check` writes nothing and exits 1 when a committed page differs (test/docs/reference.test.ts does the same in CI).

const root = join(import.meta.dir, "..");
const check = process.argv.includes("--check");
let stale = 0;
for (const [path, text] of referencePages()) {
  const file = join(root, path);
  let current: string | undefined;
  try {
    current = readFileSync(file, "utf8");
  } catch {
    current = undefined;
  }
  if (current === text) continue;
  if (check) {
    console.error(`${path} is out of date: run npm run docs:reference`);
    stale++;
  } else {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    console.log(`wrote ${path}`);
  }
}
process.exit(stale > 0 ? 1 : 0);
