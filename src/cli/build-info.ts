import { spawnSync } from "node:child_process";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };

// Baked in by scripts/compile.ts with `bun build --define`; absent when mcpgw runs from source.
declare const MCPGW_BUILD_COMMIT: string;
declare const MCPGW_BUILD_DATE: string;
declare const MCPGW_BUILD_TARGET: string;

export interface BuildInfo {
  version: string;
  /** Short git commit, or "unknown" when run from a source tree without git. */
  commit: string;
  /** ISO 8601 build time of a compiled binary; undefined from source. */
  date: string | undefined;
  /** bun-<os>-<arch> of a compiled binary; undefined from source. */
  target: string | undefined;
  source: boolean;
}

/** The values `--define` baked into a compiled binary; from source, the checkout's commit (read lazily: it spawns git). */
export function buildInfo(): BuildInfo {
  if (typeof MCPGW_BUILD_COMMIT === "string") {
    return { version: pkg.version, commit: MCPGW_BUILD_COMMIT, date: MCPGW_BUILD_DATE, target: MCPGW_BUILD_TARGET, source: false };
  }
  return { version: pkg.version, commit: sourceCommit(), date: undefined, target: undefined, source: true };
}

function sourceCommit(): string {
  const git = spawnSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: join(import.meta.dir, "../.."), encoding: "utf8" });
  return git.status === 0 ? git.stdout.trim() : "unknown";
}

/** `mcpgw --version`: the version first, so `mcpgw --version | cut -d' ' -f2` stays a plain version. */
export function formatVersion(info: BuildInfo): string {
  if (info.source) return `mcpgw ${info.version} (source, commit ${info.commit})`;
  return `mcpgw ${info.version} (commit ${info.commit}, built ${info.date}, ${info.target})`;
}
