// Redirect URI rules (MCP authorization §Communication Security and §Open Redirection; OAuth 2.1 §2.3.1,
// §7.12; RFC 8252 §7.3, §8.3). Pure functions: used by DCR, CIMD validation and the authorize endpoint.

import { isLoopbackHostname } from "../http/host.ts";


/** Why a redirect URI may not be registered, or undefined when it may. */
export function redirectUriProblem(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `"${uri}" is not an absolute URI`;
  }
  // OAuth 2.1 §2.3.1: no fragment. Checked on the raw text: URL parsing drops an empty "#".
  if (uri.includes("#")) return `"${uri}" has a fragment`;
  if (url.username || url.password) return `"${uri}" carries user credentials`;
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:") {
    return isLoopbackHostname(url.hostname) ? undefined : `"${uri}" uses http on a non-loopback host; use https (http is allowed only for 127.0.0.1, [::1] or localhost)`;
  }
  return `"${uri}" uses the scheme ${url.protocol.slice(0, -1)}; redirect URIs must be https, or http on a loopback host`;
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
    // Only the port may differ: reject anything URL parsing normalised away (e.g. "/a/../cb").
    requested === `${b.protocol}//${b.host}${b.pathname}${b.search}`
  );
}

/** Host of a URI for logs and the consent page: full redirect URIs are never logged (spec §5.4). */
export function safeHost(uri: string): string {
  try {
    return new URL(uri).host;
  } catch {
    return "(invalid)";
  }
}
