import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import {
  CimdClientResolver,
  clientIdUrlProblem,
  fetchClientMetadataDocument,
  validateClientMetadataDocument,
} from "../../src/oauth/cimd.ts";
import { InvalidClient } from "../../src/oauth/errors.ts";
import { cacheLifetimeMs } from "../../src/oauth/guarded-fetch.ts";
import type { Resolve } from "../../src/oauth/ssrf.ts";
import { CHATGPT_CLIENT_METADATA } from "../fixtures/clients/chatgpt.ts";

// Client ID Metadata Documents: the URL rules, document validation, Cache-Control bounds, and the
// guarded fetch against a real local server (dev mode allows loopback) or an injected resolver.

describe("client_id URL rules (CIMD draft §3)", () => {
  it("accepts an https URL with a path", () => {
    expect(clientIdUrlProblem("https://chatgpt.com/oauth/abc/client.json", false)).toBeUndefined();
    expect(clientIdUrlProblem("https://client.example:8443/meta", false)).toBeUndefined();
  });

  it("refuses http (except loopback in dev mode), no path, fragments, credentials, dot segments, non-normal forms", () => {
    expect(clientIdUrlProblem("http://client.example/meta", false)).toContain("https");
    expect(clientIdUrlProblem("http://127.0.0.1:3000/meta", false)).toContain("https");
    expect(clientIdUrlProblem("http://127.0.0.1:3000/meta", true)).toBeUndefined();
    expect(clientIdUrlProblem("http://client.example/meta", true)).toContain("https");
    expect(clientIdUrlProblem("https://client.example/", false)).toContain("path");
    expect(clientIdUrlProblem("https://client.example/meta#x", false)).toContain("fragment");
    expect(clientIdUrlProblem("https://u:p@client.example/meta", false)).toContain("credentials");
    expect(clientIdUrlProblem("https://client.example/a/../meta", false)).toContain("segments");
    expect(clientIdUrlProblem("https://CLIENT.example/meta", false)).toContain("normal form");
  });
});

describe("Cache-Control bounds", () => {
  it("clamps max-age to [1 min, 24 h], defaults to 5 min, and does not cache no-store", () => {
    expect(cacheLifetimeMs(null)).toBe(300_000);
    expect(cacheLifetimeMs("public, max-age=3600")).toBe(3_600_000);
    expect(cacheLifetimeMs("max-age=5")).toBe(60_000);
    expect(cacheLifetimeMs("max-age=9999999")).toBe(86_400_000);
    expect(cacheLifetimeMs("no-store")).toBe(0);
    expect(cacheLifetimeMs("max-age=600, no-cache")).toBe(0);
  });
});

describe("document validation", () => {
  const id = "https://client.example/meta.json";
  const good = { client_id: id, client_name: "Client", redirect_uris: ["http://127.0.0.1/cb"] };

  it("accepts a document naming itself, with a name and redirect URIs; public by default", () => {
    expect(validateClientMetadataDocument(id, good).token_endpoint_auth_method).toBe("none");
  });

  it("refuses a client_id that differs from the URL, missing fields, and shared secrets", () => {
    expect(() => validateClientMetadataDocument(id, { ...good, client_id: "https://client.example/other" })).toThrow("does not equal");
    expect(() => validateClientMetadataDocument(id, { ...good, client_name: undefined })).toThrow("client_name");
    expect(() => validateClientMetadataDocument(id, { client_id: id, client_name: "x" })).toThrow("redirect_uris");
    expect(() => validateClientMetadataDocument(id, { ...good, client_secret: "s" })).toThrow("secret");
    expect(() => validateClientMetadataDocument(id, { ...good, token_endpoint_auth_method: "client_secret_basic" })).toThrow("shared secret");
    expect(() => validateClientMetadataDocument(id, { ...good, redirect_uris: ["http://evil.example/cb"] })).toThrow("non-loopback");
  });
});

describe("documents of clients with a key pair (private_key_jwt)", () => {
  it("accepts ChatGPT's document as published: private_key_jwt with a jwks_uri, RS256", () => {
    const metadata = validateClientMetadataDocument(CHATGPT_CLIENT_METADATA.client_id, CHATGPT_CLIENT_METADATA);
    expect(metadata).toMatchObject({ token_endpoint_auth_method: "private_key_jwt", jwks_uri: "https://chatgpt.com/oauth/jwks.json", token_endpoint_auth_signing_alg: "RS256", client_name: "ChatGPT" });
  });

  it("refuses private_key_jwt without keys, and a loopback http jwks_uri outside dev mode", () => {
    const { jwks_uri: _, ...noKeys } = CHATGPT_CLIENT_METADATA;
    expect(() => validateClientMetadataDocument(noKeys.client_id, noKeys)).toThrow("jwks or jwks_uri");
    const local = { ...CHATGPT_CLIENT_METADATA, jwks_uri: "http://127.0.0.1:8080/jwks.json" };
    expect(() => validateClientMetadataDocument(local.client_id, local)).toThrow("https");
    expect(validateClientMetadataDocument(local.client_id, local, true).jwks_uri).toBe(local.jwks_uri);
  });
});

describe("guarded fetch", () => {
  let server: ReturnType<typeof Bun.serve>;
  let base: string;
  let hits = 0;
  const loopback: Resolve = async () => ["127.0.0.1"];
  const dev = { resolve: loopback, devMode: true };

  beforeAll(() => {
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(request) {
        hits++;
        const url = new URL(request.url);
        const self = `${base}${url.pathname}`;
        const doc = { client_id: self, client_name: "Local", redirect_uris: ["http://127.0.0.1/cb"] };
        switch (url.pathname) {
          case "/good":
            return Response.json(doc, { headers: { "cache-control": "max-age=600" } });
          case "/nostore":
            return Response.json(doc, { headers: { "cache-control": "no-store" } });
          case "/redirect":
            return Response.redirect(`${base}/good`, 302);
          case "/big":
            return Response.json({ ...doc, padding: "x".repeat(6000) });
          case "/html":
            return new Response("<html></html>", { headers: { "content-type": "text/html" } });
          case "/slow":
            await Bun.sleep(400);
            return Response.json(doc);
          case "/host":
            // Names itself by the Host header it received: valid only if the fetcher sent the URL's host.
            return Response.json({ ...doc, client_id: `http://${request.headers.get("host")}${url.pathname}` });
          default:
            return new Response("no", { status: 404 });
        }
      },
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => server.stop(true));

  it("fetches and validates a document (dev mode, loopback)", async () => {
    const r = await fetchClientMetadataDocument(`${base}/good`, dev);
    expect(r.metadata.client_name).toBe("Local");
    expect(r.ttlMs).toBe(600_000);
  });

  it("connects to the checked address but sends the URL's host", async () => {
    const named = `http://localhost:${server.port}/host`;
    const resolved: string[] = [];
    const spy: Resolve = async (h) => (resolved.push(h), ["127.0.0.1"]);
    const r = await fetchClientMetadataDocument(named, { resolve: spy, devMode: true });
    expect(r.metadata.client_name).toBe("Local");
    expect(resolved).toEqual(["localhost"]);
  });

  it("does not follow redirects", async () => {
    await expect(fetchClientMetadataDocument(`${base}/redirect`, dev)).rejects.toThrow("redirect");
  });

  it("refuses documents over 5 KB, non-JSON content types, errors and slow servers", async () => {
    await expect(fetchClientMetadataDocument(`${base}/big`, dev)).rejects.toThrow("larger than 5120 bytes");
    await expect(fetchClientMetadataDocument(`${base}/html`, dev)).rejects.toThrow("content type");
    await expect(fetchClientMetadataDocument(`${base}/missing`, dev)).rejects.toThrow("HTTP 404");
    await expect(fetchClientMetadataDocument(`${base}/slow`, { ...dev, timeoutMs: 100 })).rejects.toThrow();
  });

  it("in start mode, refuses a private target before connecting", async () => {
    const before = hits;
    const privateDns: Resolve = async () => ["10.0.0.7"];
    await expect(fetchClientMetadataDocument("https://client.example/meta", { resolve: privateDns, devMode: false })).rejects.toThrow("not a public address");
    await expect(fetchClientMetadataDocument(`${base}/good`, { resolve: loopback, devMode: false })).rejects.toThrow("not a public address");
    expect(hits).toBe(before);
  });

  it("caches within Cache-Control, never caches no-store or failures, and answers InvalidClient", async () => {
    let now = 1_000_000;
    const resolver = new CimdClientResolver(dev, () => now);
    const before = hits;
    await resolver.resolve(`${base}/good`);
    await resolver.resolve(`${base}/good`);
    expect(hits - before).toBe(1);
    now += 601_000;
    await resolver.resolve(`${base}/good`);
    expect(hits - before).toBe(2);
    await resolver.resolve(`${base}/nostore`);
    await resolver.resolve(`${base}/nostore`);
    expect(hits - before).toBe(4);
    await expect(resolver.resolve(`${base}/missing`)).rejects.toBeInstanceOf(InvalidClient);
    await expect(resolver.resolve(`${base}/missing`)).rejects.toThrow("cannot be used: it answered HTTP 404");
    expect(hits - before).toBe(6);
  });

  it("describes an SSRF refusal without naming the internal address", async () => {
    const resolver = new CimdClientResolver({ resolve: async () => ["10.1.2.3"], devMode: false }, () => 0);
    const err = await resolver.resolve("https://internal.example/meta").catch((e: Error) => e);
    expect(err).toBeInstanceOf(InvalidClient);
    expect((err as Error).message).toContain("not a public internet address");
    expect((err as Error).message).not.toContain("10.1.2.3");
  });
});
