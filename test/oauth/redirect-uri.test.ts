import { describe, expect, it } from "bun:test";
import fc from "fast-check";
import { redirectUriMatches, redirectUriProblem, safeHost } from "../../src/oauth/redirect-uri.ts";

// Redirect URI rules: what may be registered (https, or http on loopback; no fragments) and how a
// requested URI matches a registered one (exactly, except the port of a loopback URI: RFC 8252 §7.3).

describe("redirect URI registration rules", () => {
  it("accepts https anywhere and http on loopback hosts", () => {
    for (const uri of ["https://app.example.com/cb", "https://app.example.com/cb?x=1", "http://127.0.0.1/cb", "http://127.8.0.1:9/cb", "http://[::1]:8080/", "http://localhost:3000/callback"]) {
      expect({ uri, problem: redirectUriProblem(uri) }).toEqual({ uri, problem: undefined });
    }
  });

  it("refuses http elsewhere, other schemes, fragments, credentials and relative references", () => {
    for (const uri of ["http://app.example.com/cb", "http://10.0.0.1/cb", "cursor://x/cb", "javascript:alert(1)", "https://a.example/cb#", "https://u:p@a.example/cb", "/cb", ""]) {
      expect({ uri, refused: redirectUriProblem(uri) !== undefined }).toEqual({ uri, refused: true });
    }
  });
});

describe("redirect URI matching", () => {
  it("matches exactly", () => {
    expect(redirectUriMatches("https://app.example.com/cb", "https://app.example.com/cb")).toBe(true);
    expect(redirectUriMatches("https://app.example.com/cb", "https://app.example.com/cb/")).toBe(false);
    expect(redirectUriMatches("https://app.example.com/cb", "https://app.example.com:8443/cb")).toBe(false);
    expect(redirectUriMatches("https://app.example.com/cb", "https://APP.example.com/cb")).toBe(false);
  });

  it("lets only the port vary on loopback, never the host, scheme, path or query", () => {
    expect(redirectUriMatches("http://127.0.0.1/callback", "http://127.0.0.1:51234/callback")).toBe(true);
    expect(redirectUriMatches("http://127.0.0.1:33418/", "http://127.0.0.1:40000/")).toBe(true);
    expect(redirectUriMatches("http://localhost:1/cb", "http://localhost:2/cb")).toBe(true);
    expect(redirectUriMatches("http://127.0.0.1/cb", "http://localhost:5/cb")).toBe(false);
    expect(redirectUriMatches("http://127.0.0.1/cb", "https://127.0.0.1:5/cb")).toBe(false);
    expect(redirectUriMatches("http://127.0.0.1/cb", "http://127.0.0.1:5/cb2")).toBe(false);
    expect(redirectUriMatches("http://127.0.0.1/cb?a=1", "http://127.0.0.1:5/cb?a=2")).toBe(false);
    expect(redirectUriMatches("http://127.0.0.1/cb", "http://127.0.0.1:5/x/../cb")).toBe(false);
    expect(redirectUriMatches("http://127.0.0.1/cb", "http://127.0.0.1:5/cb#frag")).toBe(false);
    expect(redirectUriMatches("http://127.0.0.1/cb", "http://u@127.0.0.1:5/cb")).toBe(false);
  });

  it("property: a loopback URI matches itself on every port; a non-loopback one on no other port", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 65535 }), fc.constantFrom("127.0.0.1", "[::1]", "localhost"), (a, b, host) => {
        expect(redirectUriMatches(`http://${host}:${a}/cb`, `http://${host}:${b}/cb`)).toBe(true);
        expect(redirectUriMatches(`https://app.example.com:${a}/cb`, `https://app.example.com:${b}/cb`)).toBe(a === b || (a === 443 && b === 443));
      }),
    );
  });
});

describe("safeHost", () => {
  it("keeps only the host for logs", () => {
    expect(safeHost("https://app.example.com:8443/cb?code=secret")).toBe("app.example.com:8443");
    expect(safeHost("not a uri")).toBe("(invalid)");
  });
});
