// `npm run release`: mcpgw for every target in dist/release/ (Bun fetches each cross-compile runtime from
// the npm registry), a SHA256SUMS file `sha256sum -c` reads, and the Homebrew formula mcpgw.rb.
//   --base-url URL   where the binaries will be downloaded from (env MCPGW_RELEASE_BASE_URL)
//   --homepage URL   the formula's homepage (env MCPGW_HOMEPAGE)
//   --out DIR        default dist/release
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { buildStamp, compile, RELEASE_TARGETS } from "./compile.ts";
import { homebrewFormula, type ReleaseArtifact } from "./homebrew-formula.ts";

const { values } = parseArgs({ options: { "base-url": { type: "string" }, homepage: { type: "string" }, out: { type: "string" } }, strict: true });
const stamp = await buildStamp();
const out = values.out ?? "dist/release";
const placeholder = "https://downloads.example.com/mcpgw";
const baseUrl = values["base-url"] ?? process.env.MCPGW_RELEASE_BASE_URL ?? `${placeholder}/v${stamp.version}`;
const homepage = values.homepage ?? process.env.MCPGW_HOMEPAGE ?? placeholder;

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const artifacts: ReleaseArtifact[] = [];
for (const target of RELEASE_TARGETS) {
  const file = `mcpgw-${stamp.version}-${target}`;
  const started = performance.now();
  await compile({ target, outfile: join(out, file), stamp });
  // The sourcemap bun writes beside each binary is inside it already (--sourcemap with --compile embeds it).
  rmSync(join(out, `${file}.map`), { force: true });
  const sha256 = createHash("sha256").update(readFileSync(join(out, file))).digest("hex");
  artifacts.push({ target, file, sha256 });
  console.log(`${file}: ${(Bun.file(join(out, file)).size / 1024 / 1024).toFixed(1)} MiB in ${Math.round(performance.now() - started)} ms`);
}
writeFileSync(join(out, "SHA256SUMS"), artifacts.map((a) => `${a.sha256}  ${a.file}\n`).join(""));
writeFileSync(join(out, "mcpgw.rb"), homebrewFormula({ stamp, artifacts, baseUrl, homepage }));
console.log(`release ${stamp.version} (commit ${stamp.commit}, built ${stamp.date}) in ${basename(out)}/: ${artifacts.length} binaries, SHA256SUMS, mcpgw.rb`);
if (baseUrl.startsWith(placeholder)) console.warn(`warning: mcpgw.rb downloads from the placeholder ${baseUrl}; pass --base-url (or MCPGW_RELEASE_BASE_URL) for a real release.`);
