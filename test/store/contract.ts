import { describe, expect, it } from "bun:test";
import type { Store } from "../../src/store/repositories.ts";

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

    it("lets exactly one of two racing transactions spend a code", withStore(async (store) => {
      await store.tokens.insertCode(code("c3"));
      const spend = () => store.transaction(async (tx) => ((await tx.tokens.useCode("c3", T0)) ? "issued" : "replay"));
      expect((await Promise.all([spend(), spend(), spend()])).sort()).toEqual(["issued", "replay", "replay"]);
    }));
  });
}
