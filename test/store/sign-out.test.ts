import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../src/store/open.ts";
import type { Store } from "../../src/store/repositories.ts";

// What sign-out and "switch user" need from the store (real SQLite): a session row can be deleted, and
// only the session that owns a pending authorization request can hand it over to the next one.

let store: Store;
beforeAll(async () => {
  store = await openStore(mkdtempSync(join(tmpdir(), "mcpgw-signout-")));
});
afterAll(() => store.close());

const now = Date.now();
const session = (sessionHash: string) => ({ sessionHash, subject: sessionHash, claims: "{}", loginKind: "local_dev", createdAt: now, expiresAt: now + 60_000 });
const request = (requestId: string) => ({
  requestId,
  clientId: "c",
  clientName: "C",
  redirectUri: "http://127.0.0.1:1/cb",
  state: null,
  codeChallenge: "x".repeat(43),
  resource: "http://127.0.0.1:9000/mcp",
  operationId: "op",
  scope: "mcp:tools",
  issuer: "http://127.0.0.1:9000",
  issueRefreshToken: 1,
  createdAt: now,
  expiresAt: now + 60_000,
});

describe("sessions.delete", () => {
  it("ends a session once", async () => {
    await store.sessions.insert(session("s-delete"));
    expect(await store.sessions.delete("s-delete")).toBe(true);
    expect(await store.sessions.find("s-delete", now)).toBeUndefined();
    expect(await store.sessions.delete("s-delete")).toBe(false);
  });
});

describe("flows.releaseRequest", () => {
  it("lets only the owning session release a request, after which another session can bind it", async () => {
    await store.flows.insertRequest(request("areq_1"));
    expect(await store.flows.bindRequest("areq_1", "alice-session", "csrf-a")).toBe(true);
    expect(await store.flows.bindRequest("areq_1", "bob-session", "csrf-b")).toBe(false);
    expect(await store.flows.releaseRequest("areq_1", "bob-session")).toBe(false);
    expect(await store.flows.releaseRequest("areq_1", "alice-session")).toBe(true);
    expect(await store.flows.findRequest("areq_1", now)).toMatchObject({ sessionHash: null, csrfHash: null });
    expect(await store.flows.bindRequest("areq_1", "bob-session", "csrf-b")).toBe(true);
    expect(await store.flows.releaseRequest("areq_1", "alice-session")).toBe(false);
  });
});
