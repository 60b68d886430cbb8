import { describe, expect, it } from "bun:test";
import { join } from "node:path";
import { StoreError } from "../../src/store/errors.ts";
import { lockDataDir } from "../../src/store/open.ts";
import { spawnCli } from "../helpers/cli.ts";
import { startGateway, tempDataDir, writeOAuthProject } from "../oauth/helpers.ts";

// Issue 18 (low): two gateways on one data dir ran silently, each with its own token cache (a revocation
// was seen 10 s late by the other). The second is now refused with MCPGW_STORE_DATA_DIR_LOCKED; the lock
// is the operating system's, so a killed holder (kill -9) leaves nothing stale behind.

describe("data dir lock", () => {
  it("refuses a second gateway process on the same data dir, naming the holder and what to do", async () => {
    const project = writeOAuthProject();
    const dataDir = tempDataDir();
    const first = spawnCli(["start", "--project", project, "--data-dir", dataDir, "--port", "0"]);
    try {
      await first.url();
      const second = spawnCli(["start", "--project", project, "--data-dir", dataDir, "--port", "0"]);
      const refused = await second.waitFor((e) => e.event === "store_open_failed");
      expect(refused).toMatchObject({ level: "error", code: "MCPGW_STORE_DATA_DIR_LOCKED", hint: expect.stringContaining("--data-dir") });
      expect(String(refused.msg)).toContain(`process ${first.proc.pid}`);
      expect(await second.proc.exited).toBe(1);
    } finally {
      await first.stop();
    }
    // Stopped cleanly: the next gateway starts.
    const third = spawnCli(["start", "--project", project, "--data-dir", dataDir, "--port", "0"]);
    try {
      expect(await third.url()).toStartWith("http://");
    } finally {
      await third.stop();
    }
  }, 30_000);

  it("is released when its holder is killed with SIGKILL", async () => {
    const project = writeOAuthProject();
    const dataDir = tempDataDir();
    const first = spawnCli(["start", "--project", project, "--data-dir", dataDir, "--port", "0"]);
    await first.url();
    first.proc.kill("SIGKILL");
    await first.proc.exited;
    const next = spawnCli(["start", "--project", project, "--data-dir", dataDir, "--port", "0"]);
    try {
      expect(await next.url()).toStartWith("http://");
    } finally {
      await next.stop();
    }
  }, 30_000);

  it("refuses a second gateway in the same process too, and frees the dir on stop", async () => {
    const dataDir = tempDataDir();
    const gw = await startGateway(writeOAuthProject(), { dataDir });
    let err: unknown;
    try {
      lockDataDir(dataDir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe("MCPGW_STORE_DATA_DIR_LOCKED");
    await gw.stop();
    const again = await startGateway(writeOAuthProject(), { dataDir: join(dataDir) });
    await again.stop();
  });
});
