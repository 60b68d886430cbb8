import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// A small tmpfs of its own, so a test can fill a disk or mount it read-only without touching the
// machine's. Mounting needs root (CI's container runs as root; a developer's shell may not): without it
// `mountTmpfs` says why, and the tests that need one are skipped with that reason.

export interface Tmpfs {
  readonly dir: string;
  /** `mount -o remount,ro|rw`: only possible while no file on it is open for writing. */
  remount(mode: "ro" | "rw"): void;
  unmount(): void;
}

function run(cmd: string[]): { ok: boolean; error: string } {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  return { ok: r.exitCode === 0, error: r.stderr.toString().trim() };
}

/** A tmpfs of `sizeKb` KiB on a fresh directory, or the reason none can be mounted here. */
export function mountTmpfs(sizeKb: number): Tmpfs | string {
  if (process.getuid?.() !== 0) return "mounting a tmpfs needs root";
  const dir = mkdtempSync(join(tmpdir(), "mcpgw-tmpfs-"));
  const mounted = run(["mount", "-t", "tmpfs", "-o", `size=${sizeKb}k,mode=0777`, "tmpfs", dir]);
  if (!mounted.ok) {
    rmSync(dir, { recursive: true, force: true });
    return `mount -t tmpfs failed: ${mounted.error}`;
  }
  return {
    dir,
    remount(mode) {
      const r = run(["mount", "-o", `remount,${mode}`, dir]);
      if (!r.ok) throw new Error(`remount ${mode} of ${dir} failed: ${r.error}`);
    },
    unmount() {
      run(["umount", "-l", dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fills the file system under `dir` with `file` until the kernel refuses a byte more (ENOSPC). */
export function fillDisk(file: string): number {
  const chunk = new Uint8Array(16 * 1024).fill(0x2e);
  const fd = openSync(file, "w");
  let written = 0;
  try {
    for (;;) {
      try {
        written += writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
        // The last blocks: byte-sized writes until not even one fits.
        for (;;) {
          try {
            written += writeSync(fd, chunk.subarray(0, 1));
          } catch {
            return written;
          }
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}
