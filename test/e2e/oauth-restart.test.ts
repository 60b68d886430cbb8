import { describe, expect, it } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { STORE_FILE } from "../../src/store/sqlite/open.ts";
import { DEMO_PATH, mcpPost, obtainTokens, postForm, startGateway, tempDataDir, writeOAuthProject } from "../oauth/helpers.ts";

// Issued tokens live in the SQLite store, as hashes only: a restart on the same data dir keeps every
// token valid, and a copy of the file holds no usable credential.

describe("persistence", () => {
  it("keeps issued tokens valid across a restart on the same data dir", async () => {
    const project = writeOAuthProject();
    const dataDir = tempDataDir();
    const first = await startGateway(project, { dataDir });
    const { clientId, tokens } = await obtainTokens(first.url);
    expect((await mcpPost(`${first.url}${DEMO_PATH}`, tokens.access_token)).status).toBe(200);
    const port = new URL(first.url).port;
    await first.stop();

    // Same port: tokens are bound to the route's canonical URI, origin included.
    const second = await startGateway(project, { dataDir, port: Number(port) });
    try {
      expect(second.url).toBe(first.url);
      expect((await mcpPost(`${second.url}${DEMO_PATH}`, tokens.access_token)).status).toBe(200);
      const refreshed = await postForm(`${second.url}/oauth/token`, { grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: clientId });
      expect(refreshed.status).toBe(200);
    } finally {
      await second.stop();
    }
  });

  it("stores tokens, codes, secrets and sessions only as hashes", async () => {
    const dataDir = tempDataDir();
    const gw = await startGateway(writeOAuthProject(), { dataDir });
    const { tokens } = await obtainTokens(gw.url, DEMO_PATH, { token_endpoint_auth_method: "none" });
    await gw.stop();
    const db = new Database(join(dataDir, STORE_FILE), { readonly: true });
    try {
      const dump = (db.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[])
        .map(({ name }) => JSON.stringify(db.query(`SELECT * FROM "${name}"`).all()))
        .join("\n");
      expect(dump).toContain("oauth"); // sanity: the tables were read
      expect(dump).not.toContain(tokens.access_token);
      expect(dump).not.toContain(tokens.refresh_token!);
      expect(dump).not.toMatch(/\b(at|rt|ac|cs|sess|csrf)_[A-Za-z0-9_-]{43}/);
      const hashes = db.query("SELECT token_hash FROM oauth_tokens").all() as { token_hash: string }[];
      expect(hashes.length).toBeGreaterThanOrEqual(2);
      for (const { token_hash } of hashes) expect(token_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    } finally {
      db.close();
    }
  });
});
