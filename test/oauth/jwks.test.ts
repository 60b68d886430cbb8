import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { jwksUriProblem, JwksResolver, publicJwksProblem } from "../../src/oauth/jwks.ts";
import type { Resolve } from "../../src/oauth/ssrf.ts";

// private_key_jwt clients' key sets: what counts as a set of public signing keys, and the jwks_uri fetch
// (through the SSRF guard, cached, refetched on an unknown kid at most once a minute) against a real local
// server with an injected clock.

const RSA_PUBLIC = { kty: "RSA", n: "sXch", e: "AQAB", kid: "a" };

describe("public key sets", () => {
  it("accepts RSA, EC and OKP public signing keys", () => {
    expect(publicJwksProblem({ keys: [RSA_PUBLIC, { kty: "EC", crv: "P-256", x: "x", y: "y" }, { kty: "OKP", crv: "Ed25519", x: "x", use: "sig" }] })).toBeUndefined();
  });

  it("refuses private and symmetric keys, encryption keys, empty or oversized sets", () => {
    for (const [jwks, contains] of [
      [{ keys: [{ ...RSA_PUBLIC, d: "secret" }] }, 'private member "d"'],
      [{ keys: [{ kty: "oct", k: "c2VjcmV0" }] }, "asymmetric"],
      [{ keys: [{ ...RSA_PUBLIC, use: "enc" }] }, "signing"],
      [{ keys: [] }, "1 to 20"],
      [{ keys: Array.from({ length: 21 }, () => RSA_PUBLIC) }, "1 to 20"],
      [[RSA_PUBLIC], "JWK Set"],
    ] as const) {
      expect({ contains, problem: publicJwksProblem(jwks) }).toEqual({ contains, problem: expect.stringContaining(contains) });
    }
  });

  it("takes a jwks_uri over https only, http on loopback in dev mode", () => {
    expect(jwksUriProblem("https://chatgpt.com/oauth/jwks.json", false)).toBeUndefined();
    expect(jwksUriProblem("http://127.0.0.1:1/jwks.json", true)).toBeUndefined();
    expect(jwksUriProblem("http://127.0.0.1:1/jwks.json", false)).toContain("https");
    expect(jwksUriProblem("http://client.example/jwks.json", true)).toContain("https");
    expect(jwksUriProblem("https://u:p@client.example/jwks.json", false)).toContain("credentials");
  });
});

describe("jwks_uri resolver", () => {
  let server: ReturnType<typeof Bun.serve>;
  let base: string;
  const hits: Record<string, number> = {};
  const loopback: Resolve = async () => ["127.0.0.1"];

  beforeAll(() => {
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(request) {
        const path = new URL(request.url).pathname;
        hits[path] = (hits[path] ?? 0) + 1;
        if (path === "/cached") return Response.json({ keys: [RSA_PUBLIC] }, { headers: { "cache-control": "max-age=600" } });
        if (path === "/no-store") return Response.json({ keys: [RSA_PUBLIC] }, { headers: { "cache-control": "no-store" } });
        if (path === "/private") return Response.json({ keys: [{ ...RSA_PUBLIC, d: "x" }] });
        if (path === "/html") return new Response("<html>", { headers: { "content-type": "text/html" } });
        return new Response("no", { status: 404 });
      },
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => server.stop(true));

  it("caches by Cache-Control, and refetches for an unknown kid only when the last fetch is a minute old", async () => {
    let now = 0;
    const resolver = new JwksResolver({ resolve: loopback, devMode: true }, () => now);
    await resolver.keys(`${base}/cached`);
    await resolver.keys(`${base}/cached`);
    await resolver.keys(`${base}/cached`, true);
    expect(hits["/cached"]).toBe(1);
    now = 61_000;
    await resolver.keys(`${base}/cached`);
    expect(hits["/cached"]).toBe(1);
    await resolver.keys(`${base}/cached`, true);
    expect(hits["/cached"]).toBe(2);
  });

  it("does not cache a set served with no-store", async () => {
    const resolver = new JwksResolver({ resolve: loopback, devMode: true }, () => 0);
    await resolver.keys(`${base}/no-store`);
    await resolver.keys(`${base}/no-store`);
    expect(hits["/no-store"]).toBe(2);
  });

  it("refuses a set with private keys, a non-JSON answer, a 404, and (in start mode) loopback or http", async () => {
    const dev = new JwksResolver({ resolve: loopback, devMode: true }, () => 0);
    await expect(dev.keys(`${base}/private`)).rejects.toThrow("private member");
    await expect(dev.keys(`${base}/html`)).rejects.toThrow("content type");
    await expect(dev.keys(`${base}/missing`)).rejects.toThrow("HTTP 404");
    const start = new JwksResolver({ resolve: loopback, devMode: false }, () => 0);
    await expect(start.keys(`${base}/cached`)).rejects.toThrow("https");
    await expect(start.keys("https://keys.example/jwks.json")).rejects.toThrow("not a public address");
  });
});
