import { describe, expect, it } from "bun:test";
import { MemoryRateLimitStore, type RateLimitRule } from "../../src/limits/rate-limit-store.ts";
import { SharedRateLimitStore } from "../../src/limits/shared-rate-limit-store.ts";
import type { Store, UpstreamConnectionRow } from "../../src/store/repositories.ts";

// The repository contract every store backend must keep: the SQLite store runs it in
// sqlite-contract.test.ts; a second backend (PostgreSQL) calls describeStoreContract with its own opener.

const T0 = 1_700_000_000_000;

export function describeStoreContract(backend: string, open: () => Promise<Store>): void {
  const withStore = (fn: (store: Store) => Promise<void>) => async () => {
    const store = await open();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  };

  const grant = (grantId: string, expiresAt = T0 + 3_600_000) => ({ grantId, clientId: "dcr_a", subject: "alice", claims: '{"role":"dev"}', resource: "http://gw/mcp/a", operationId: "a", scope: "mcp:tools", createdAt: T0, expiresAt });
  const code = (codeHash: string) => ({ codeHash, clientId: "dcr_a", redirectUri: "http://127.0.0.1/cb", codeChallenge: "x".repeat(43), resource: "http://gw/mcp/a", operationId: "a", scope: "mcp:tools", subject: "alice", claims: "{}", issueRefreshToken: 1, expiresAt: T0 + 60_000 });

  describe(`store contract (${backend})`, () => {
    it("stores and finds clients until they expire, and sweeps them", withStore(async (store) => {
      await store.clients.insert({ clientId: "dcr_a", secretHash: null, metadata: "{}", createdAt: T0, expiresAt: T0 + 1000 });
      expect((await store.clients.find("dcr_a", T0))?.clientId).toBe("dcr_a");
      expect(await store.clients.find("dcr_a", T0 + 1000)).toBeUndefined();
      expect(await store.clients.sweep(T0 + 1000)).toBe(1);
      expect(await store.clients.sweep(T0 + 1000)).toBe(0);
    }));

    it("lists live clients oldest first, and deletes one with its consents", withStore(async (store) => {
      await store.clients.insert({ clientId: "dcr_b", secretHash: null, metadata: '{"client_name":"B"}', createdAt: T0 + 1, expiresAt: T0 + 1000 });
      await store.clients.insert({ clientId: "dcr_a", secretHash: "h", metadata: '{"client_name":"A"}', createdAt: T0, expiresAt: T0 + 1000 });
      await store.clients.insert({ clientId: "dcr_old", secretHash: null, metadata: "{}", createdAt: T0, expiresAt: T0 + 10 });
      expect((await store.clients.list(T0 + 10)).map((c) => c.clientId)).toEqual(["dcr_a", "dcr_b"]);
      await store.flows.recordConsent({ subject: "alice", clientId: "dcr_a", resource: "r", scope: "mcp:tools", approvedAt: T0 });
      expect(await store.clients.delete("dcr_a")).toBe(true);
      expect(await store.clients.delete("dcr_a")).toBe(false);
      expect(await store.clients.find("dcr_a", T0)).toBeUndefined();
      expect(await store.flows.findConsent("alice", "dcr_a", "r")).toBeUndefined();
    }));

    it("binds an authorization request to the first session only, and deletes it once", withStore(async (store) => {
      await store.flows.insertRequest({ requestId: "areq_1", clientId: "dcr_a", clientName: "A", redirectUri: "http://127.0.0.1/cb", state: null, codeChallenge: "c", resource: "r", operationId: "a", scope: "mcp:tools", issuer: "http://gw", issueRefreshToken: 1, createdAt: T0, expiresAt: T0 + 900_000 });
      expect(await store.flows.bindRequest("areq_1", "sess_a", "csrf_1")).toBe(true);
      expect(await store.flows.bindRequest("areq_1", "sess_b", "csrf_2")).toBe(false);
      expect(await store.flows.bindRequest("areq_1", "sess_a", "csrf_3")).toBe(true);
      expect((await store.flows.findRequest("areq_1", T0))?.csrfHash).toBe("csrf_3");
      expect(await store.flows.deleteRequest("areq_1")).toBe(true);
      expect(await store.flows.deleteRequest("areq_1")).toBe(false);
    }));

    it("records one consent per subject, client and resource", withStore(async (store) => {
      await store.flows.recordConsent({ subject: "alice", clientId: "dcr_a", resource: "r", scope: "mcp:tools", approvedAt: T0 });
      await store.flows.recordConsent({ subject: "alice", clientId: "dcr_a", resource: "r", scope: "mcp:tools", approvedAt: T0 + 5 });
      expect((await store.flows.findConsent("alice", "dcr_a", "r"))?.approvedAt).toBe(T0 + 5);
      expect(await store.flows.findConsent("bob", "dcr_a", "r")).toBeUndefined();
    }));

    it("keeps browser sessions until they expire", withStore(async (store) => {
      await store.sessions.insert({ sessionHash: "h1", subject: "alice", claims: "{}", loginKind: "local_dev", createdAt: T0, expiresAt: T0 + 10 });
      expect((await store.sessions.find("h1", T0))?.subject).toBe("alice");
      expect(await store.sessions.find("h1", T0 + 10)).toBeUndefined();
      expect(await store.sessions.sweep(T0 + 10)).toBe(1);
    }));

    it("spends a code once: the second useCode is a replay", withStore(async (store) => {
      await store.tokens.insertCode(code("c1"));
      expect(await store.tokens.useCode("c1", T0)).toBe(true);
      expect(await store.tokens.useCode("c1", T0)).toBe(false);
      expect((await store.tokens.findCode("c1"))?.usedAt).toBe(T0);
    }));

    it("rotates a refresh token once, and never a revoked one", withStore(async (store) => {
      await store.tokens.insertGrant(grant("g1"));
      await store.tokens.insertToken("rt1", "refresh", "g1", T0, T0 + 3_600_000);
      await store.tokens.insertToken("rt2", "refresh", "g1", T0, T0 + 3_600_000);
      expect(await store.tokens.rotateRefreshToken("rt1", T0)).toBe(true);
      expect(await store.tokens.rotateRefreshToken("rt1", T0)).toBe(false);
      expect(await store.tokens.revokeToken("rt2", T0)).toBe(true);
      expect(await store.tokens.rotateRefreshToken("rt2", T0)).toBe(false);
    }));

    it("joins a token with its grant, and sees the grant revoked", withStore(async (store) => {
      await store.tokens.insertGrant(grant("g2"));
      await store.tokens.insertToken("at1", "access", "g2", T0, T0 + 900_000);
      expect(await store.tokens.findToken("at1")).toMatchObject({ kind: "access", grantId: "g2", subject: "alice", claims: '{"role":"dev"}', grantRevokedAt: null });
      expect(await store.tokens.revokeGrant("g2", T0 + 1)).toBe(true);
      expect(await store.tokens.revokeGrant("g2", T0 + 2)).toBe(false);
      expect((await store.tokens.findToken("at1"))?.grantRevokedAt).toBe(T0 + 1);
      expect(await store.tokens.findToken("unknown")).toBeUndefined();
    }));

    it("sweeps expired grants with their tokens, and codes only past the replay window", withStore(async (store) => {
      await store.tokens.insertGrant(grant("old", T0 + 10));
      await store.tokens.insertToken("rt_old", "refresh", "old", T0, T0 + 10);
      await store.tokens.insertGrant(grant("live"));
      await store.tokens.insertCode(code("c2"));
      const counts = await store.tokens.sweep(T0 + 100, T0);
      expect(counts.grants).toBe(1);
      expect(counts.codes).toBe(0);
      expect(await store.tokens.findToken("rt_old")).toBeUndefined();
      expect((await store.tokens.sweep(T0 + 100, T0 + 60_001)).codes).toBe(1);
    }));

    it("lists grants by subject and client with their usable token counts, newest first", withStore(async (store) => {
      await store.tokens.insertGrant(grant("ga"));
      await store.tokens.insertGrant({ ...grant("gb"), subject: "bob", createdAt: T0 + 1 });
      await store.tokens.insertGrant({ ...grant("gc"), clientId: "dcr_c", createdAt: T0 + 2 });
      await store.tokens.insertToken("at_a1", "access", "ga", T0, T0 + 900_000);
      await store.tokens.insertToken("at_a2", "access", "ga", T0, T0 + 10);
      await store.tokens.insertToken("rt_a1", "refresh", "ga", T0, T0 + 3_600_000);
      await store.tokens.insertToken("rt_a2", "refresh", "ga", T0, T0 + 3_600_000);
      await store.tokens.rotateRefreshToken("rt_a1", T0);
      const now = T0 + 100;
      expect((await store.tokens.listGrants({}, now)).map((g) => g.grantId)).toEqual(["gc", "gb", "ga"]);
      expect((await store.tokens.listGrants({ subject: "alice" }, now)).map((g) => g.grantId)).toEqual(["gc", "ga"]);
      expect((await store.tokens.listGrants({ subject: "alice", clientId: "dcr_a" }, now)).map((g) => g.grantId)).toEqual(["ga"]);
      const [a] = await store.tokens.listGrants({ clientId: "dcr_a", subject: "alice" }, now);
      expect(a).toMatchObject({ grantId: "ga", clientId: "dcr_a", subject: "alice", operationId: "a", scope: "mcp:tools", createdAt: T0, revokedAt: null, accessTokens: 1, refreshTokens: 1 });
      await store.tokens.revokeGrant("gb", now);
      expect((await store.tokens.listGrants({ activeAt: now }, now)).map((g) => g.grantId)).toEqual(["gc", "ga"]);
      expect((await store.tokens.listGrants({ activeAt: T0 + 3_600_000 }, now))).toEqual([]);
    }));

    it("finds nothing wrong with a store it wrote itself", withStore(async (store) => {
      await store.tokens.insertGrant(grant("gi"));
      await store.tokens.insertToken("at_i", "access", "gi", T0, T0 + 1000);
      expect(await store.checkIntegrity()).toEqual([]);
    }));

    it("reports itself healthy when it can take writes, and stays so after a failed transaction of no store cause", withStore(async (store) => {
      expect(await store.health()).toEqual({ ok: true });
      await expect(store.transaction(async () => Promise.reject(new Error("the caller's own failure")))).rejects.toThrow("own failure");
      expect(await store.health()).toEqual({ ok: true });
    }));

    it("keeps the first value a meta key was set to", withStore(async (store) => {
      expect(await store.meta.get("k")).toBeUndefined();
      expect(await store.meta.setIfAbsent("k", "first")).toBe("first");
      expect(await store.meta.setIfAbsent("k", "second")).toBe("first");
      expect(await store.meta.get("k")).toBe("first");
    }));

    it("counts live clients, and keeps a client that obtained a token for its full lifetime", withStore(async (store) => {
      await store.clients.insert({ clientId: "dcr_used", secretHash: null, metadata: "{}", createdAt: T0, expiresAt: T0 + 1000 });
      await store.clients.insert({ clientId: "dcr_unused", secretHash: null, metadata: "{}", createdAt: T0, expiresAt: T0 + 1000 });
      expect(await store.clients.count(T0)).toBe(2);
      await store.clients.markUsed("dcr_used", 90_000);
      expect((await store.clients.find("dcr_used", T0))?.expiresAt).toBe(T0 + 90_000);
      // Never shortens: a second mark with a smaller lifetime leaves it.
      await store.clients.markUsed("dcr_used", 500);
      expect((await store.clients.find("dcr_used", T0))?.expiresAt).toBe(T0 + 90_000);
      expect(await store.clients.count(T0 + 1000)).toBe(1);
    }));

    it("counts pending requests, and releases a request only for the session that owns it", withStore(async (store) => {
      const request = { clientId: "dcr_a", clientName: "A", redirectUri: "http://127.0.0.1/cb", state: "s", codeChallenge: "c", resource: "r", operationId: "a", scope: "mcp:tools", issuer: "http://gw", issueRefreshToken: 0, createdAt: T0 };
      await store.flows.insertRequest({ ...request, requestId: "areq_live", expiresAt: T0 + 900_000 });
      await store.flows.insertRequest({ ...request, requestId: "areq_old", expiresAt: T0 + 10 });
      expect(await store.flows.countRequests(T0)).toBe(2);
      expect(await store.flows.countRequests(T0 + 10)).toBe(1);
      expect(await store.flows.bindRequest("areq_live", "sess_a", "csrf_1")).toBe(true);
      expect(await store.flows.releaseRequest("areq_live", "sess_b")).toBe(false);
      expect(await store.flows.releaseRequest("areq_live", "sess_a")).toBe(true);
      expect(await store.flows.findRequest("areq_live", T0)).toMatchObject({ sessionHash: null, csrfHash: null, state: "s", issueRefreshToken: 0, expiresAt: T0 + 900_000 });
      expect(await store.flows.bindRequest("areq_live", "sess_b", "csrf_2")).toBe(true);
      expect(await store.flows.sweep(T0 + 10)).toBe(1);
    }));

    it("ends a browser session once", withStore(async (store) => {
      await store.sessions.insert({ sessionHash: "h2", subject: "alice", claims: '{"email":"a@example.com"}', loginKind: "oidc", createdAt: T0, expiresAt: T0 + 10_000 });
      expect(await store.sessions.find("h2", T0)).toEqual({ sessionHash: "h2", subject: "alice", claims: '{"email":"a@example.com"}', loginKind: "oidc", createdAt: T0, expiresAt: T0 + 10_000 });
      expect(await store.sessions.delete("h2")).toBe(true);
      expect(await store.sessions.delete("h2")).toBe(false);
      expect(await store.sessions.find("h2", T0)).toBeUndefined();
    }));

    const loginState = (stateHash: string, expiresAt = T0 + 600_000) => ({ stateHash, requestId: "areq_1", nonceHash: "n", browserHash: "b", redirectUri: "http://gw/oauth/callback", pkce: 1, createdAt: T0, expiresAt });

    it("takes a login state once, and an expired one reads as unknown", withStore(async (store) => {
      await store.logins.insert(loginState("st_1"));
      await store.logins.insert(loginState("st_old", T0 + 10));
      expect(await store.logins.take("st_1", T0)).toEqual(loginState("st_1"));
      expect(await store.logins.take("st_1", T0)).toBeUndefined();
      expect(await store.logins.take("st_old", T0 + 10)).toBeUndefined();
      expect(await store.logins.take("st_unknown", T0)).toBeUndefined();
      await store.logins.insert(loginState("st_2", T0 + 10));
      await store.logins.insert(loginState("st_3"));
      expect(await store.logins.sweep(T0 + 10)).toBe(1);
      expect((await store.logins.take("st_3", T0))?.stateHash).toBe("st_3");
    }));

    it("gives a login state to exactly one of two racing callbacks", withStore(async (store) => {
      await store.logins.insert(loginState("st_race"));
      const taken = await Promise.all([store.logins.take("st_race", T0), store.logins.take("st_race", T0), store.logins.take("st_race", T0)]);
      expect(taken.filter((t) => t !== undefined).length).toBe(1);
    }));

    const sealed = (n: number) => new Uint8Array([1, n, 0, 255, 7]);
    const connection = (subject: string, upstreamId: string, over: Partial<UpstreamConnectionRow> = {}): UpstreamConnectionRow => ({
      subject, upstreamId, authProfileId: `p_${upstreamId}`, status: "active", sealedTokens: sealed(1), scope: "read", accessExpiresAt: T0 + 3_600_000,
      connectedBy: subject || "admin", createdAt: T0, updatedAt: T0, ...over,
    });

    it("saves upstream connections whole, byte for byte, and replaces one on save", withStore(async (store) => {
      await store.upstream.save(connection("alice", "gh"));
      expect(await store.upstream.find("alice", "gh")).toEqual(connection("alice", "gh"));
      const replaced = connection("alice", "gh", { status: "reconsent_required", sealedTokens: new Uint8Array(0), scope: null, accessExpiresAt: null, updatedAt: T0 + 5 });
      await store.upstream.save(replaced);
      const found = await store.upstream.find("alice", "gh");
      expect(found).toEqual(replaced);
      expect(found!.sealedTokens).toBeInstanceOf(Uint8Array);
      expect(await store.upstream.find("bob", "gh")).toBeUndefined();
    }));

    it("lists and removes upstream connections by subject and upstream, shared ones under the empty subject", withStore(async (store) => {
      for (const c of [connection("bob", "gh"), connection("alice", "gh"), connection("alice", "jira"), connection("", "wiki")]) await store.upstream.save(c);
      const keys = (rows: UpstreamConnectionRow[]) => rows.map((r) => `${r.upstreamId}/${r.subject}`);
      expect(keys(await store.upstream.list({}))).toEqual(["gh/alice", "gh/bob", "jira/alice", "wiki/"]);
      expect(keys(await store.upstream.list({ subject: "alice" }))).toEqual(["gh/alice", "jira/alice"]);
      expect(keys(await store.upstream.list({ upstreamId: "gh" }))).toEqual(["gh/alice", "gh/bob"]);
      expect(keys(await store.upstream.list({ subject: "" }))).toEqual(["wiki/"]);
      expect(keys(await store.upstream.remove({ subject: "alice", upstreamId: "gh" }))).toEqual(["gh/alice"]);
      expect(keys((await store.upstream.remove({ upstreamId: "gh" })))).toEqual(["gh/bob"]);
      expect((await store.upstream.remove({ subject: "nobody" }))).toEqual([]);
      expect(keys(await store.upstream.list({}))).toEqual(["jira/alice", "wiki/"]);
    }));

    it("keeps one registration per upstream auth profile, with or without a sealed secret", withStore(async (store) => {
      const registration = { authProfileId: "p_gh", issuer: "https://as.example", clientId: "c1", sealedSecret: sealed(2), tokenEndpointAuthMethod: "client_secret_basic", redirectUri: "http://gw/cb", kind: "dcr", createdAt: T0 } as const;
      await store.upstream.saveClient(registration);
      expect(await store.upstream.findClient("p_gh")).toEqual(registration);
      await store.upstream.saveClient({ ...registration, clientId: "c2", sealedSecret: null, tokenEndpointAuthMethod: "none", kind: "cimd" });
      expect(await store.upstream.findClient("p_gh")).toMatchObject({ clientId: "c2", sealedSecret: null, kind: "cimd" });
      await store.upstream.removeClient("p_gh");
      expect(await store.upstream.findClient("p_gh")).toBeUndefined();
    }));

    it("takes a connect state once and only while it is live, and sweeps expired ones", withStore(async (store) => {
      const state = (stateHash: string, expiresAt: number) => ({ stateHash, subject: "alice", upstreamId: "gh", sealedFlow: sealed(3), createdAt: T0, expiresAt });
      await store.upstream.insertConnectState(state("cs_1", T0 + 600_000));
      await store.upstream.insertConnectState(state("cs_old", T0 + 10));
      expect(await store.upstream.takeConnectState("cs_1", T0)).toEqual(state("cs_1", T0 + 600_000));
      expect(await store.upstream.takeConnectState("cs_1", T0)).toBeUndefined();
      expect(await store.upstream.takeConnectState("cs_old", T0 + 10)).toBeUndefined();
      expect(await store.upstream.sweep(T0 + 10)).toBe(1);
      expect(await store.upstream.sweep(T0 + 10)).toBe(0);
    }));

    it("runs a refresh under exclusively() and hands back its result or its failure", withStore(async (store) => {
      expect(await store.upstream.exclusively("alice", "gh", async () => "refreshed")).toBe("refreshed");
      await expect(store.upstream.exclusively("alice", "gh", async () => Promise.reject(new Error("upstream said no")))).rejects.toThrow("upstream said no");
      // The lock is not left held by the failure: the next caller gets through.
      expect(await store.upstream.exclusively("alice", "gh", async () => 2)).toBe(2);
    }));

    it("rolls back an upstream connection saved in a transaction that throws", withStore(async (store) => {
      const failure = store.transaction(async (tx) => {
        await tx.upstream.save(connection("carol", "gh"));
        await tx.logins.insert(loginState("st_tx"));
        throw new Error("abandoned");
      });
      await expect(failure).rejects.toThrow("abandoned");
      expect(await store.upstream.find("carol", "gh")).toBeUndefined();
      expect(await store.logins.take("st_tx", T0)).toBeUndefined();
    }));

    it("commits a transaction's writes together", withStore(async (store) => {
      await store.transaction(async (tx) => {
        await tx.tokens.insertGrant(grant("g3"));
        await tx.tokens.insertToken("at3", "access", "g3", T0, T0 + 1000);
      });
      expect((await store.tokens.findToken("at3"))?.grantId).toBe("g3");
    }));

    it("rolls back every write of a transaction that throws", withStore(async (store) => {
      const failure = store.transaction(async (tx) => {
        await tx.tokens.insertGrant(grant("g4"));
        await tx.tokens.insertToken("at4", "access", "g4", T0, T0 + 1000);
        throw new Error("disk full, say");
      });
      await expect(failure).rejects.toThrow("disk full, say");
      expect(await store.tokens.findToken("at4")).toBeUndefined();
    }));

    it("keeps other callers' writes out of an open transaction, even when it rolls back", withStore(async (store) => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const tx = store.transaction(async (t) => {
        await t.tokens.insertGrant(grant("g5"));
        await t.tokens.insertToken("at5", "access", "g5", T0, T0 + 1000);
        await held;
        throw new Error("abandoned");
      });
      // Issued while the transaction is open: must neither join it nor be lost with its rollback.
      const outside = store.clients.insert({ clientId: "dcr_outside", secretHash: null, metadata: "{}", createdAt: T0, expiresAt: T0 + 1000 });
      await Bun.sleep(5);
      release();
      await expect(tx).rejects.toThrow("abandoned");
      await outside;
      expect((await store.clients.find("dcr_outside", T0))?.clientId).toBe("dcr_outside");
      expect(await store.tokens.findToken("at5")).toBeUndefined();
    }));

    it("steps rate-limit counters exactly as the in-memory sliding window does (decisions and Retry-After)", withStore(async (store) => {
      const shared = new SharedRateLimitStore(store.rateCounters);
      const memory = new MemoryRateLimitStore();
      const rules: Record<string, RateLimitRule> = { a: { requestsAllowed: 3, windowMs: 1000 }, b: { requestsAllowed: 7, windowMs: 2500 }, c: { requestsAllowed: 1, windowMs: 60_000 } };
      // A fixed pseudo-random walk (no clock): bursts inside a window, steps of less than, exactly and more
      // than a window, and key a's rule changing its window half-way (its counter then starts afresh).
      let seed = 42;
      const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
      let now = T0 + 123;
      const outcomes: string[] = [];
      let refused = 0;
      for (let i = 0; i < 400; i++) {
        const r = next();
        now += r < 0.6 ? Math.floor(next() * 120) : r < 0.9 ? Math.floor(next() * 1500) : r < 0.95 ? 1000 : Math.floor(next() * 6000);
        const key = ["a", "b", "c"][Math.floor(next() * 3)]!;
        const rule = key === "a" && i >= 200 ? { requestsAllowed: 4, windowMs: 1500 } : rules[key]!;
        const expected = memory.consume(key, rule, now);
        const got = await shared.consume(key, rule, now);
        outcomes.push(`${i} ${key} ${got.allowed} ${got.retryAfterMs}`);
        expect(`${i} ${key} ${got.allowed} ${got.retryAfterMs}`).toBe(`${i} ${key} ${expected.allowed} ${expected.retryAfterMs}`);
        if (!expected.allowed) refused++;
      }
      // The walk exercised both answers, not just one.
      expect(refused).toBeGreaterThan(40);
      expect(outcomes.length - refused).toBeGreaterThan(100);
    }));

    it("counts concurrent requests on one rate-limit counter one at a time: exactly the allowance passes", withStore(async (store) => {
      const answers = await Promise.all(Array.from({ length: 12 }, () => store.rateCounters.consume("burst", 5, 60_000, T0)));
      expect(answers.filter((a) => a.allowed).length).toBe(5);
      const after = await store.rateCounters.consume("burst", 5, 60_000, T0);
      expect(after).toEqual({ allowed: false, counter: { windowStart: T0 - (T0 % 60_000), windowMs: 60_000, current: 5, previous: 0 } });
    }));

    it("sweeps rate-limit counters idle for two windows", withStore(async (store) => {
      await store.rateCounters.consume("old", 5, 1000, T0);
      await store.rateCounters.consume("recent", 5, 1000, T0 + 1500);
      const start = T0 - (T0 % 1000);
      expect(await store.rateCounters.sweep(start + 2000 - 1)).toBe(0);
      expect(await store.rateCounters.sweep(start + 2000)).toBe(1);
      expect((await store.rateCounters.consume("recent", 5, 1000, T0 + 1600)).counter.current).toBe(2);
    }));

    it("claims a client-assertion id once until it expires, and sweeps it", withStore(async (store) => {
      expect(await store.usedAssertions.claim("h1", T0 + 1000, T0)).toBe(true);
      expect(await store.usedAssertions.claim("h1", T0 + 1000, T0 + 999)).toBe(false);
      expect(await store.usedAssertions.claim("h2", T0 + 1000, T0)).toBe(true);
      // Expired but not swept yet: a new assertion with that id is not a replay.
      expect(await store.usedAssertions.claim("h1", T0 + 5000, T0 + 1000)).toBe(true);
      expect(await store.usedAssertions.claim("h1", T0 + 5000, T0 + 1001)).toBe(false);
      expect(await store.usedAssertions.sweep(T0 + 1000)).toBe(1);
      expect(await store.usedAssertions.claim("h2", T0 + 9000, T0 + 1000)).toBe(true);
    }));

    it("lets exactly one of several concurrent claims of one assertion id win", withStore(async (store) => {
      const claims = await Promise.all(Array.from({ length: 6 }, () => store.usedAssertions.claim("race", T0 + 60_000, T0)));
      expect(claims.filter(Boolean).length).toBe(1);
    }));

    it("lets exactly one of two racing transactions spend a code", withStore(async (store) => {
      await store.tokens.insertCode(code("c3"));
      const spend = () => store.transaction(async (tx) => ((await tx.tokens.useCode("c3", T0)) ? "issued" : "replay"));
      expect((await Promise.all([spend(), spend(), spend()])).sort()).toEqual(["issued", "replay", "replay"]);
    }));
  });
}
