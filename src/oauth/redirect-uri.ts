import { privateUseSchemeProblem } from "./private-use-scheme.ts";

// Redirect URI rules (MCP authorization §Communication Security and §Open Redirection; OAuth 2.1 §2.3.1,
// §7.12; RFC 8252 §7.1, §7.3, §8.3). Pure functions: used by DCR, CIMD validation and the authorize endpoint.

import { isLoopbackHostname } from "../http/host.ts";


/** RFC 3986 §2: the characters a URI may contain (no spaces, quotes, angle brackets, non-ASCII). */
const URI_CHARACTERS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;

/** What kind of place a redirect URI sends the browser to; decides matching and how consent shows it. */
export type RedirectKind = "web" | "loopback" | "app";

/** The kind of a registered (valid) redirect URI: https, http on loopback, or a native app's private-use scheme. */
export function redirectKind(uri: string): RedirectKind {
  const protocol = uri.slice(0, uri.indexOf(":") + 1);
  if (protocol === "https:") return "web";
  if (protocol === "http:") return "loopback";
  return "app";
}

/** Why a redirect URI may not be registered, or undefined when it may. */
export function redirectUriProblem(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `"${uri}" is not an absolute URI`;
  }
  const scheme = uri.slice(0, uri.indexOf(":"));
  const web = url.protocol === "https:" || url.protocol === "http:";
  // Matching is by exact string, so a scheme must be written as clients will send it (RFC 3986 §6.2.2.1).
  if (web && scheme !== scheme.toLowerCase()) return `"${uri}": write the scheme in lowercase (${scheme.toLowerCase()}:)`;
  // RFC 8252 §7.1: otherwise a native app's private-use scheme, e.g. cursor://anysphere.cursor-mcp/oauth/callback.
  const schemeProblem = web ? undefined : privateUseSchemeProblem(scheme);
  if (schemeProblem) return `"${uri}": ${schemeProblem}; redirect URIs must be https, http on a loopback host, or a native app's private-use scheme`;
  if (!URI_CHARACTERS.test(uri)) return `"${uri}" contains characters a URI cannot hold (RFC 3986 §2); percent-encode them`;
  // OAuth 2.1 §2.3.1: no fragment. Checked on the raw text: URL parsing drops an empty "#".
  if (uri.includes("#")) return `"${uri}" has a fragment`;
  if (url.username || url.password) return `"${uri}" carries user credentials`;
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:") {
    return isLoopbackHostname(url.hostname) ? undefined : `"${uri}" uses http on a non-loopback host; use https (http is allowed only for 127.0.0.1, [::1] or localhost)`;
  }
  if (!uri.startsWith(`${scheme}:/`)) return `"${uri}" must be ${scheme}:/path or ${scheme}://host/path (RFC 8252 §7.1)`;
  // Exact matching and the consent page need one spelling: no dot segments, nothing URL parsing rewrites.
  if (url.href !== uri) return `"${uri}" is not in normal form (${url.href})`;
  return undefined;
}

/**
 * Exact string match, except that a loopback redirect URI matches on any port (RFC 8252 §7.3): native
 * clients such as VS Code and Claude Code bind an ephemeral port for each authorization.
 */
export function redirectUriMatches(registered: string, requested: string): boolean {
  if (registered === requested) return true;
  let a: URL;
  let b: URL;
  try {
    a = new URL(registered);
    b = new URL(requested);
  } catch {
    return false;
  }
  if (requested.includes("#") || b.username || b.password) return false;
  return (
    // RFC 8252 §7.3: only loopback *http* redirects may change port (a native app's ephemeral listener).
    isLoopbackHostname(a.hostname) &&
    a.protocol === "http:" &&
    a.protocol === b.protocol &&
    a.hostname === b.hostname &&
    a.pathname === b.pathname &&
    a.search === b.search &&
    // Only the port may differ: reject anything URL parsing normalised away (e.g. "/a/../cb"), except an
    // empty path, which is "/" (RFC 3986 §6.2.3): VS Code registers http://127.0.0.1:33418 without the slash.
    (requested === `${b.protocol}//${b.host}${b.pathname}${b.search}` || (b.pathname === "/" && requested === `${b.protocol}//${b.host}${b.search}`))
  );
}

/**
 * Host of a URI for logs and the consent page: full redirect URIs are never logged (spec §5.4). A private-use
 * scheme is kept (`cursor://anysphere.cursor-mcp`, `com.example.app:`): the scheme is what names the app.
 */
export function safeHost(uri: string): string {
  try {
    const url = new URL(uri);
    if (url.protocol === "https:" || url.protocol === "http:") return url.host;
    return url.host ? `${url.protocol}//${url.host}` : url.protocol;
  } catch {
    return "(invalid)";
  }
}
