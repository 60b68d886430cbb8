// One `bun build --compile` of mcpgw, shared by `npm run build` (this machine) and `npm run release`
// (every target). .env and bunfig autoloading are off: the binary reads .env itself, from the project
// directory, not from whatever directory it happens to start in.
import { $ } from "bun";
import { mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import pkg from "../package.json" with { type: "json" };

export const ENTRY = "src/cli/binary.ts";

export interface BuildStamp {
  version: string;
  commit: string;
  /** ISO 8601, UTC. */
  date: string;
}

/** Version from package.json, the checkout's commit (+"-dirty" with uncommitted changes), and now or $SOURCE_DATE_EPOCH. */
export async function buildStamp(env: Record<string, string | undefined> = process.env): Promise<BuildStamp> {
  const commit = (await $`git rev-parse --short=12 HEAD`.quiet().nothrow()).stdout.toString().trim() || "unknown";
  const dirty = (await $`git status --porcelain --untracked-files=no`.quiet().nothrow()).stdout.toString().trim() !== "";
  const epoch = env.SOURCE_DATE_EPOCH ? Number(env.SOURCE_DATE_EPOCH) * 1000 : Date.now();
  return { version: pkg.version, commit: dirty ? `${commit}-dirty` : commit, date: new Date(epoch).toISOString().replace(/\.\d{3}Z$/, "Z") };
}

/** The targets Bun can cross-compile to (it fetches each runtime from the npm registry on first use). */
export const RELEASE_TARGETS = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64"] as const;
export type ReleaseTarget = (typeof RELEASE_TARGETS)[number];

export function hostTarget(): ReleaseTarget {
  const target = `${process.platform}-${process.arch}`;
  if (!(RELEASE_TARGETS as readonly string[]).includes(target)) throw new Error(`no release target for this machine (${target})`);
  return target as ReleaseTarget;
}

// --splitting keeps src/cli/binary.ts's own chunk tiny: the first image re-executes itself (upstream-concurrency.ts)
// after parsing a few lines instead of the whole gateway, ~10 ms of CPU instead of ~70 ms (measured, 2 cores).
export async function compile(options: { target: ReleaseTarget; outfile: string; stamp: BuildStamp }): Promise<void> {
  const { target, outfile, stamp } = options;
  const define = (name: string, value: string) => ["--define", `${name}=${JSON.stringify(value)}`];
  // bun also writes a .map per chunk beside the binary; the binary embeds them (its stack traces name the
  // .ts sources without them), so it is built in a scratch directory and only the binary is kept.
  mkdirSync(dirname(resolve(outfile)), { recursive: true });
  const scratch = mkdtempSync(join(dirname(resolve(outfile)), ".compile-"));
  try {
    await $`${process.execPath} build ${ENTRY} --compile --splitting --minify --sourcemap --target=bun-${target} --no-compile-autoload-dotenv --no-compile-autoload-bunfig ${[
      ...define("MCPGW_BUILD_COMMIT", stamp.commit),
      ...define("MCPGW_BUILD_DATE", stamp.date),
      ...define("MCPGW_BUILD_TARGET", target),
    ]} --outfile ${join(scratch, "mcpgw")}`;
    renameSync(join(scratch, "mcpgw"), outfile);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
