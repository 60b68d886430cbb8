import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { createLogger } from "../../src/log/logger.ts";
import { hashCredential, mintCredential } from "../../src/oauth/credentials.ts";
import { InvalidToken } from "../../src/oauth/errors.ts";
import { createOAuthRuntime, type OAuthRuntime } from "../../src/oauth/runtime.ts";
import { openSqliteStore } from "../../src/store/sqlite/open.ts";
import type { SqliteStore } from "../../src/store/sqlite/store.ts";
import { systemResolve } from "../../src/oauth/ssrf.ts";
import { tempDataDir } from "./helpers.ts";

// The resource-server token check as a plain function over a real store and an injected clock: expiry,
// revocation (with the cache evicted), route binding, and the cache actually sparing the store.

const RESOURCE = "http://127.0.0.1:9000/mcp/demo-v1";
const OP = "demo-mcp-server";

let store: SqliteStore;
let runtime: OAuthRuntime;
let now = 1_700_000_000_000;

beforeEach(() => {
  store = openSqliteStore(tempDataDir());
  runtime = createOAuthRuntime({ store, log: createLogger({ level: "silent" }), now: () => now, mode: "dev", resolve: systemResolve, fetch });
});
afterEach(async () => {
  runtime.stop();
  await store.close();
});

async function issue(grantId: string, ttlMs = 60_000): Promise<string> {
  await store.tokens.insertGrant({ grantId, clientId: "dcr_x", subject: "alice", claims: '{"role":"dev"}', resource: RESOURCE, operationId: OP, scope: "mcp:tools", createdAt: now, expiresAt: now + 3_600_000 });
  const token = mintCredential("at");
  await store.tokens.insertToken(hashCredential(token), "access", grantId, now, now + ttlMs);
  return token;
}

async function reason(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidToken);
    return (err as InvalidToken).reasonCode;
  }
}

describe("access token validation", () => {
  it("returns the grant's subject, claims and binding for a live token", async () => {
    const token = await issue("grant_a");
    expect(await runtime.accessTokens.validate(token, RESOURCE, OP)).toMatchObject({ subject: "alice", claims: { role: "dev" }, clientId: "dcr_x", grantId: "grant_a", scope: "mcp:tools" });
  });

  it("refuses a token once the clock passes its expiry, cached or not", async () => {
    const token = await issue("grant_b", 1_000);
    await runtime.accessTokens.validate(token, RESOURCE, OP);
    now += 1_000;
    expect(await reason(() => runtime.accessTokens.validate(token, RESOURCE, OP))).toBe("expired_token");
  });

  it("refuses a token for another route or operation", async () => {
    const token = await issue("grant_c");
    expect(await reason(() => runtime.accessTokens.validate(token, "http://127.0.0.1:9000/mcp/other", OP))).toBe("invalid_audience");
    expect(await reason(() => runtime.accessTokens.validate(token, RESOURCE, "other-op"))).toBe("invalid_audience");
  });

  it("refuses a cached token as soon as its grant is revoked", async () => {
    const token = await issue("grant_d");
    await runtime.accessTokens.validate(token, RESOURCE, OP);
    expect(runtime.accessTokens.size).toBe(1);
    await runtime.revokeGrant("grant_d");
    expect(runtime.accessTokens.size).toBe(0);
    expect(await reason(() => runtime.accessTokens.validate(token, RESOURCE, OP))).toBe("revoked_token");
  });

  it("refuses unknown and malformed tokens, the latter without a store lookup", async () => {
    expect(await reason(() => runtime.accessTokens.validate(mintCredential("at"), RESOURCE, OP))).toBe("invalid_token");
    const original = store.tokens.findToken.bind(store.tokens);
    let lookups = 0;
    store.tokens.findToken = (h: string) => (lookups++, original(h));
    for (const bad of ["", "at_short", "rt_" + "a".repeat(43), "at_" + "a".repeat(42) + "!", mintCredential("rt")]) {
      expect(await reason(() => runtime.accessTokens.validate(bad, RESOURCE, OP))).toBe("invalid_token");
    }
    expect(lookups).toBe(0);
  });

  it("serves repeated checks from the cache", async () => {
    const token = await issue("grant_e");
    const original = store.tokens.findToken.bind(store.tokens);
    let lookups = 0;
    store.tokens.findToken = (h: string) => (lookups++, original(h));
    for (let i = 0; i < 100; i++) await runtime.accessTokens.validate(token, RESOURCE, OP);
    expect(lookups).toBe(1);
    // …but not for longer than the cache age bound (another process may have revoked it).
    now += 11_000;
    await runtime.accessTokens.validate(token, RESOURCE, OP);
    expect(lookups).toBe(2);
  });

  it("trusts a cached token for the age the caller configures, and never with an age of 0", async () => {
    const token = await issue("grant_f");
    const original = store.tokens.findToken.bind(store.tokens);
    let lookups = 0;
    store.tokens.findToken = (h: string) => (lookups++, original(h));
    await runtime.accessTokens.validate(token, RESOURCE, OP, 30_000);
    now += 29_000;
    await runtime.accessTokens.validate(token, RESOURCE, OP, 30_000);
    expect(lookups).toBe(1);
    now += 1_000;
    await runtime.accessTokens.validate(token, RESOURCE, OP, 30_000);
    expect(lookups).toBe(2);
    // An age of 0 (or one lowered by a reload) also stops trusting what is already cached.
    for (let i = 0; i < 3; i++) await runtime.accessTokens.validate(token, RESOURCE, OP, 0);
    expect(lookups).toBe(5);
  });
});

describe("revocation notices from other instances", () => {
  it("evict the revoked token, every token of a revoked grant, or everything when notices were missed", async () => {
    const { evictOnRevocation } = await import("../../src/oauth/revocation-watch.ts");
    const evict = evictOnRevocation(runtime.accessTokens);
    const [t1, t2, t3] = [await issue("grant_g"), await issue("grant_h"), mintCredential("at")];
    await store.tokens.insertToken(hashCredential(t3), "access", "grant_h", now, now + 60_000);
    for (const t of [t1, t2, t3]) await runtime.accessTokens.validate(t, RESOURCE, OP);
    expect(runtime.accessTokens.size).toBe(3);
    evict({ kind: "token", tokenHash: hashCredential(t1) });
    expect(runtime.accessTokens.size).toBe(2);
    evict({ kind: "grant", grantId: "grant_h" });
    expect(runtime.accessTokens.size).toBe(0);
    await runtime.accessTokens.validate(t1, RESOURCE, OP);
    evict({ kind: "unknown" });
    expect(runtime.accessTokens.size).toBe(0);
  });
});

describe("sweeper", () => {
  it("deletes expired grants with their tokens, and keeps live ones", async () => {
    const live = await issue("grant_live");
    await store.tokens.insertGrant({ grantId: "grant_old", clientId: "c", subject: "s", claims: "{}", resource: RESOURCE, operationId: OP, scope: "mcp:tools", createdAt: now, expiresAt: now + 10 });
    await store.tokens.insertToken(hashCredential(mintCredential("rt")), "refresh", "grant_old", now, now + 10);
    now += 100;
    await runtime.sweep();
    const grants = store.db.query("SELECT grant_id FROM oauth_grants ORDER BY grant_id").all() as { grant_id: string }[];
    expect(grants.map((g) => g.grant_id)).toEqual(["grant_live"]);
    expect((store.db.query("SELECT count(*) AS n FROM oauth_tokens").get() as { n: number }).n).toBe(1);
    expect((await runtime.accessTokens.validate(live, RESOURCE, OP)).subject).toBe("alice");
  });
});
