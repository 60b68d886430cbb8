// `npm run release`: mcpgw for every target in dist/release/ (Bun fetches each cross-compile runtime from
// the npm registry), the Homebrew formula mcpgw.rb, the systemd unit with its sample environment file, and a
// SHA256SUMS file over all of them that `sha256sum -c` reads.
//   --base-url URL   where the binaries will be downloaded from (env MCPGW_RELEASE_BASE_URL)
//   --homepage URL   the formula's homepage (env MCPGW_HOMEPAGE)
//   --out DIR        default dist/release
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

const sha256Of = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const artifacts: ReleaseArtifact[] = [];
for (const target of RELEASE_TARGETS) {
  const file = `mcpgw-${stamp.version}-${target}`;
  const started = performance.now();
  await compile({ target, outfile: join(out, file), stamp });
  artifacts.push({ target, file, sha256: sha256Of(join(out, file)) });
  console.log(`${file}: ${(Bun.file(join(out, file)).size / 1024 / 1024).toFixed(1)} MiB in ${Math.round(performance.now() - started)} ms`);
}
// The systemd unit and the sample environment file travel with the binaries (docs/quickstart.md#systemd).
const extras = ["packaging/systemd/mcpgw.service", "packaging/systemd/etc/mcpgw/mcpgw.env"].map((path) => {
  copyFileSync(path, join(out, basename(path)));
  return { file: basename(path), sha256: sha256Of(join(out, basename(path))) };
});
writeFileSync(join(out, "mcpgw.rb"), homebrewFormula({ stamp, artifacts, baseUrl, homepage }));
const sums = [...artifacts, ...extras, { file: "mcpgw.rb", sha256: sha256Of(join(out, "mcpgw.rb")) }];
writeFileSync(join(out, "SHA256SUMS"), sums.map((a) => `${a.sha256}  ${a.file}\n`).join(""));
console.log(`release ${stamp.version} (commit ${stamp.commit}, built ${stamp.date}) in ${out}/: ${artifacts.length} binaries, mcpgw.service, mcpgw.env, mcpgw.rb, SHA256SUMS`);
if (baseUrl.startsWith(placeholder)) console.warn(`warning: mcpgw.rb downloads from the placeholder ${baseUrl}; pass --base-url (or MCPGW_RELEASE_BASE_URL) for a real release.`);
