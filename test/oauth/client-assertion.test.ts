import { beforeAll, describe, expect, it } from "bun:test";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JSONWebKeySet } from "jose";
import { ASSERTION_ALGORITHMS, verifyClientAssertion, type AssertionCheck } from "../../src/oauth/client-assertion.ts";
import { InvalidClient } from "../../src/oauth/errors.ts";
import { MemoryReplayCache } from "../../src/oauth/replay-cache.ts";

// Client assertion checks (RFC 7523 §3) over values, with a fixed clock: what the e2e test
// (test/e2e/oauth-private-key-jwt.test.ts) cannot reach without waiting or a second server.

const CLIENT = "https://client.example/meta.json";
const AUD = "https://as.example/oauth/token";
const NOW_S = 1_800_000_000;

let keys: Record<"RS256" | "PS256" | "ES256" | "EdDSA", { privateKey: CryptoKey; jwks: JSONWebKeySet }>;

beforeAll(async () => {
  const make = async (alg: string, kid: string) => {
    const pair = await generateKeyPair(alg);
    return { privateKey: pair.privateKey, jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid }] } };
  };
  keys = { RS256: await make("RS256", "r"), PS256: await make("PS256", "p"), ES256: await make("ES256", "e"), EdDSA: await make("EdDSA", "d") };
});

function sign(alg: keyof typeof keys, claims: Record<string, unknown> = {}): Promise<string> {
  const kid = keys[alg].jwks.keys[0]!.kid!;
  return new SignJWT({ iss: CLIENT, sub: CLIENT, aud: AUD, iat: NOW_S, exp: NOW_S + 60, jti: crypto.randomUUID(), ...claims }).setProtectedHeader({ alg, kid }).sign(keys[alg].privateKey);
}

function check(alg: keyof typeof keys, overrides: Partial<AssertionCheck> = {}): AssertionCheck {
  return { clientId: CLIENT, audiences: [AUD], algorithms: ASSERTION_ALGORITHMS, keys: async () => keys[alg].jwks, replay: new MemoryReplayCache(() => NOW_S * 1000), now: NOW_S * 1000, ...overrides };
}

async function refusal(assertion: string, c: AssertionCheck): Promise<string> {
  try {
    await verifyClientAssertion(assertion, c);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidClient);
    return (err as InvalidClient).description;
  }
  throw new Error("the assertion was accepted");
}

describe("client assertion verification", () => {
  it("accepts RS256, PS256, ES256 and EdDSA assertions from the client's keys", async () => {
    for (const alg of ["RS256", "PS256", "ES256", "EdDSA"] as const) {
      expect(await verifyClientAssertion(await sign(alg), check(alg))).toBeUndefined();
    }
  });

  it("refuses what RFC 7523 §3 and our bounds rule out", async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ["iss differs from sub", { iss: "https://other.example/meta.json" }, "iss must be the client_id"],
      ["sub names another client", { sub: "https://other.example/meta.json" }, "sub must be the client_id"],
      ["two audiences", { aud: [AUD, "https://evil.example"] }, "single value"],
      ["no jti", { jti: undefined }, "jti"],
      ["not yet valid", { nbf: NOW_S + 120 }, "nbf"],
      ["issued in the future", { iat: NOW_S + 120, exp: NOW_S + 180 }, "future"],
      ["exp − iat over 5 minutes", { iat: NOW_S - 200, exp: NOW_S + 200 }, "exp − iat"],
      ["exp too far", { iat: undefined, exp: NOW_S + 400 }, "at most 300 seconds away"],
      ["no exp", { exp: undefined }, "exp"],
    ];
    for (const [what, claims, contains] of cases) {
      const description = await refusal(await sign("RS256", claims), check("RS256"));
      expect({ what, description }).toEqual({ what, description: expect.stringContaining(contains) });
    }
  });

  it("holds a client to the algorithm it registered", async () => {
    expect(await refusal(await sign("ES256"), check("ES256", { algorithms: ["RS256"] }))).toContain("ES256 is not accepted");
  });

  it("records the jti only for an assertion that verifies, and refuses it the second time", async () => {
    const replay = new MemoryReplayCache(() => NOW_S * 1000);
    const jti = "once";
    expect(await refusal(await sign("RS256", { jti, aud: "https://evil.example" }), check("RS256", { replay }))).toContain("aud");
    await verifyClientAssertion(await sign("RS256", { jti }), check("RS256", { replay }));
    expect(await refusal(await sign("RS256", { jti }), check("RS256", { replay }))).toContain("already used");
  });

  it("refetches the keys once when no cached key matches (rotation), and fails when none does", async () => {
    const calls: boolean[] = [];
    const rotated = check("ES256", { keys: async (refresh) => (calls.push(refresh), refresh ? keys.ES256.jwks : keys.RS256.jwks) });
    await verifyClientAssertion(await sign("ES256"), rotated);
    expect(calls).toEqual([false, true]);
    expect(await refusal(await sign("ES256"), check("ES256", { keys: async () => keys.RS256.jwks }))).toContain("No key");
  });
});

describe("replay cache", () => {
  it("forgets a key after it expires, and refuses new keys when full of live ones", async () => {
    let now = 0;
    const cache = new MemoryReplayCache(() => now, 2);
    expect(await cache.claim("a", 100)).toBe(true);
    expect(await cache.claim("a", 100)).toBe(false);
    expect(await cache.claim("b", 100)).toBe(true);
    await expect(cache.claim("c", 100)).rejects.toThrow("live");
    now = 100;
    expect(await cache.claim("a", 200)).toBe(true);
    expect(await cache.claim("c", 200)).toBe(true);
  });
});
