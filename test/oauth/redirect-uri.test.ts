import { describe, expect, it } from "bun:test";
import fc from "fast-check";
import { redirectKind, redirectUriMatches, redirectUriProblem, safeHost } from "../../src/oauth/redirect-uri.ts";

// Redirect URI rules: what may be registered (https, http on loopback, a native app's private-use scheme; no
// fragments) and how a requested URI matches a registered one (exactly, except the port of a loopback URI:
// RFC 8252 §7.3). The table of refused schemes over HTTP is in test/e2e/oauth-native-clients.test.ts.

describe("redirect URI registration rules", () => {
  it("accepts https anywhere and http on loopback hosts", () => {
    for (const uri of ["https://app.example.com/cb", "https://app.example.com/cb?x=1", "http://127.0.0.1/cb", "http://127.8.0.1:9/cb", "http://[::1]:8080/", "http://localhost:3000/callback"]) {
      expect({ uri, problem: redirectUriProblem(uri) }).toEqual({ uri, problem: undefined });
    }
  });

  it("accepts private-use schemes of native apps (RFC 8252 §7.1): reverse-domain, and Cursor's", () => {
    for (const uri of ["com.example.app:/oauth2redirect/example-provider", "cursor://anysphere.cursor-mcp/oauth/callback", "cursor://anysphere.cursor-retrieval/oauth/user-demo/callback", "grokbot://mcp/oauth/callback", "com.example.app://cb?x=1"]) {
      expect({ uri, problem: redirectUriProblem(uri) }).toEqual({ uri, problem: undefined });
    }
  });

  it("refuses http elsewhere, browser and system schemes, fragments, credentials and relative references", () => {
    for (const uri of ["http://app.example.com/cb", "http://10.0.0.1/cb", "cursor:cb", "javascript:alert(1)", "JavaScript:alert(1)", "https+x://a/cb", "https://a.example/cb#", "https://u:p@a.example/cb", "/cb", ""]) {
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
    // VS Code registers its loopback redirect without a path and falls back to another port when 33418 is busy.
    expect(redirectUriMatches("http://127.0.0.1:33418", "http://127.0.0.1:40000")).toBe(true);
    expect(redirectUriMatches("http://127.0.0.1:33418", "http://127.0.0.1:40000/")).toBe(true);
    expect(redirectUriMatches("http://127.0.0.1:33418", "http://127.0.0.1:40000/cb")).toBe(false);
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

describe("private-use redirect URIs", () => {
  it("match only exactly: no port, case or path variation", () => {
    const cursor = "cursor://anysphere.cursor-mcp/oauth/callback";
    expect(redirectUriMatches(cursor, cursor)).toBe(true);
    for (const other of ["cursor://anysphere.cursor-mcp:1/oauth/callback", "CURSOR://anysphere.cursor-mcp/oauth/callback", "cursor://anysphere.cursor-mcp/oauth/callback/", "cursor://localhost/oauth/callback"]) {
      expect({ other, matches: redirectUriMatches(cursor, other) }).toEqual({ other, matches: false });
    }
    // A loopback-looking host under another scheme gets no port leeway.
    expect(redirectUriMatches("cursor://127.0.0.1/cb", "cursor://127.0.0.1:5/cb")).toBe(false);
  });

  it("are their own kind, apart from web and loopback redirects", () => {
    expect(redirectKind("https://app.example/cb")).toBe("web");
    expect(redirectKind("http://127.0.0.1:9/cb")).toBe("loopback");
    expect(redirectKind("cursor://localhost/cb")).toBe("app");
    expect(redirectKind("com.example.app:/cb")).toBe("app");
  });
});

describe("safeHost", () => {
  it("keeps only the host for logs, and the scheme of an app redirect", () => {
    expect(safeHost("https://app.example.com:8443/cb?code=secret")).toBe("app.example.com:8443");
    expect(safeHost("cursor://anysphere.cursor-mcp/oauth/callback?code=secret")).toBe("cursor://anysphere.cursor-mcp");
    expect(safeHost("com.example.app:/cb?code=secret")).toBe("com.example.app:");
    expect(safeHost("not a uri")).toBe("(invalid)");
  });
});
