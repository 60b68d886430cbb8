import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Database } from "bun:sqlite";
import { chmodSync, chownSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { spawnCli, CLI } from "../helpers/cli.ts";
import { DEMO_PATH, mcpPost, obtainTokens, postForm, writeOAuthProject, type IssuedTokens } from "../oauth/helpers.ts";
import { startSuiteGateway, type SuiteGateway } from "./kit/gateway.ts";
import { fillDisk, mountTmpfs, type Tmpfs } from "./kit/tmpfs.ts";

// Issue 18, durability: a full disk and a read-only data dir. Each must give a clear error (a log
// event with a code), corrupt nothing, and show on readiness. The disk is a tmpfs of its own (needs
// root: skipped with the reason otherwise); the store is the real SQLite file, the tokens real ones
// from the OAuth flow, and the integrity check runs on the file itself, opened read-only.

const probe = mountTmpfs(64);
const skip = typeof probe === "string" ? probe : undefined;
if (typeof probe === "string") console.warn(`store-disk tests skipped: ${probe}`);
else probe.unmount();

/** A fresh 4 MiB tmpfs per test group, so one group's open files never keep another's remount busy. */
function diskForGroup(): () => Tmpfs {
  let disk: Tmpfs | undefined;
  beforeAll(() => {
    disk = mountTmpfs(4 * 1024) as Tmpfs;
  });
  afterAll(() => disk?.unmount());
  return () => disk!;
}

const ready = async (url: string) => {
  const res = await fetch(`${url}/__mcpgw/health/ready`);
  return { status: res.status, body: (await res.json()) as { status: string; code?: string; reason?: string } };
};

const refresh = (url: string, clientId: string, refreshToken: string) =>
  postForm(`${url}/oauth/token`, { grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId });

function integrity(storeFile: string): string {
  const db = new Database(storeFile, { readonly: true });
  try {
    return (db.query("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check;
  } finally {
    db.close();
  }
}

describe.skipIf(skip !== undefined)("a full disk", () => {
  const disk = diskForGroup();
  let gw: SuiteGateway;
  let clientId: string;
  let tokens: IssuedTokens;

  beforeAll(async () => {
    const dataDir = join(disk().dir, "full");
    gw = await startSuiteGateway(writeOAuthProject(), { dataDir });
    ({ clientId, tokens } = await obtainTokens(gw.url));
  });

  afterAll(async () => {
    await gw?.stop();
  });

  it("answers server_error in RFC 6749 shape, logs the SQLite code, reports not ready, and resumes intact once space is back", async () => {
    expect((await ready(gw.url)).status).toBe(200);
    const filler = join(disk().dir, "filler");
    fillDisk(filler);

    // Rotate until a write does not fit (SQLite may still have a page or two of room in the WAL).
    let current = tokens.refresh_token!;
    let refused: Response | undefined;
    for (let i = 0; i < 200 && !refused; i++) {
      const res = await refresh(gw.url, clientId, current);
      if (res.status === 200) current = ((await res.json()) as IssuedTokens).refresh_token!;
      else refused = res;
    }
    expect(refused).toBeDefined();
    expect(refused!.status).toBe(500);
    expect(refused!.headers.get("content-type")).toBe("application/json");
    expect(await refused!.json()).toEqual({ error: "server_error", error_description: expect.any(String) });
    expect(gw.logs.find((l) => l.event === "mcp_auth_endpoint_failed")).toMatchObject({ errCode: expect.stringMatching(/^SQLITE_FULL/) });

    const notReady = await ready(gw.url);
    expect(notReady).toEqual({ status: 503, body: { status: "not_ready", code: "MCPGW_STORE_DISK_FULL", reason: expect.stringContaining("bytes free") } });
    expect(gw.logs.filter((l) => l.event === "store_unhealthy")).toMatchObject([{ level: "error", code: "MCPGW_STORE_DISK_FULL", hint: expect.any(String) }]);

    rmSync(filler);
    expect(await ready(gw.url)).toEqual({ status: 200, body: { status: "ready" } });
    expect(gw.logs.filter((l) => l.event === "store_recovered")).toHaveLength(1);
    // The refused rotation was rolled back whole: the same refresh token still works, exactly once.
    const again = await refresh(gw.url, clientId, current);
    expect(again.status).toBe(200);
    const fresh = (await again.json()) as IssuedTokens;
    expect((await mcpPost(`${gw.url}${DEMO_PATH}`, fresh.access_token)).status).toBe(200);
    expect(integrity(join(gw.dataDir, "mcpgw.sqlite"))).toBe("ok");
  });
});

describe.skipIf(skip !== undefined)("a read-only data dir", () => {
  const disk = diskForGroup();
  it("refuses to start on a read-only mount with a coded error, and leaves the store as it was", async () => {
    const project = writeOAuthProject();
    const dataDir = join(disk().dir, "ro");
    const first = spawnCli(["dev", "--project", project, "--data-dir", dataDir, "--port", "0"]);
    let url: string;
    let issued: Awaited<ReturnType<typeof obtainTokens>>;
    try {
      url = await first.url();
      issued = await obtainTokens(url);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    const { clientId, tokens } = issued;
    const before = readFileSync(join(dataDir, "mcpgw.sqlite"));

    disk().remount("ro");
    try {
      const second = spawnCli(["dev", "--project", project, "--data-dir", dataDir, "--port", "0"]);
      const failed = await second.waitFor((e) => e.event === "store_open_failed").finally(() => second.proc.kill("SIGKILL"));
      expect(failed).toMatchObject({ level: "error", code: "MCPGW_STORE_READ_ONLY", hint: expect.stringContaining("read-write") });
      expect(await second.proc.exited).not.toBe(0);
      expect(readFileSync(join(dataDir, "mcpgw.sqlite")).equals(before)).toBe(true);
    } finally {
      disk().remount("rw");
    }
    expect(integrity(join(dataDir, "mcpgw.sqlite"))).toBe("ok");
    // The same port: a token is bound to its route's URL (RFC 8707), port included.
    const third = spawnCli(["dev", "--project", project, "--data-dir", dataDir, "--port", new URL(url).port]);
    try {
      const again = await third.url();
      expect((await mcpPost(`${again}${DEMO_PATH}`, tokens.access_token)).status).toBe(200);
      expect((await refresh(again, clientId, tokens.refresh_token!)).status).toBe(200);
    } finally {
      await third.stop();
    }
  });

  it("reports a data dir that stops being writable under a running gateway (run as an unprivileged user)", async () => {
    // Root may write anywhere, so the gateway runs as nobody, on a data dir nobody owns.
    const dataDir = join(disk().dir, "perm");
    mkdirSync(dataDir, { mode: 0o700 });
    chownSync(dataDir, 65534, 65534);
    const project = writeOAuthProject();
    chmodSync(project, 0o755);
    const run = spawnCli(["dev", "--project", project, "--data-dir", dataDir, "--port", "0"], {
      command: ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "--no-env-file", CLI],
      env: { HOME: "/tmp" },
    });
    try {
      const url = await run.url();
      expect((await ready(url)).status).toBe(200);
      chmodSync(dataDir, 0o500);
      expect(await ready(url)).toEqual({ status: 503, body: { status: "not_ready", code: "MCPGW_STORE_READ_ONLY", reason: expect.stringContaining("cannot be written") } });
      expect(await run.waitFor((e) => e.event === "store_unhealthy")).toMatchObject({ code: "MCPGW_STORE_READ_ONLY" });
      chmodSync(dataDir, 0o700);
      expect((await ready(url)).status).toBe(200);
    } finally {
      chmodSync(dataDir, 0o700);
      await run.stop();
    }
    expect(integrity(join(dataDir, "mcpgw.sqlite"))).toBe("ok");
  });
});
