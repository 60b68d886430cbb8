// Private-use URI schemes for native apps' redirect URIs (RFC 8252 §7.1, OAuth 2.1 §8.4.2): Cursor registers
// `cursor://anysphere.cursor-mcp/oauth/callback`, Grok Bot `grokbot://mcp/oauth/callback`, an app following the
// RFC `com.example.app:/callback`. The AS redirects the browser there with the code, so the rule is about what
// the *browser or the OS* would do with the URI, not about who may claim the scheme (any local app can claim
// any scheme, dotted or not — RFC 8252 §8.6 — which is why PKCE is required on every authorization and the
// consent page shows the scheme). Refused: schemes the browser runs or reads itself, schemes that hand the
// code to a network server or to a Windows handler that starts programs, and anything that could pass for
// http(s) on the consent page.

/** RFC 3986 §3.1 scheme, lowercase, without "+" (only look-alikes such as `https+evil` need it). */
const SCHEME_SYNTAX = /^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*$/;
const MAX_SCHEME_LENGTH = 64;

const REFUSED_SCHEMES: ReadonlyMap<string, string> = new Map(
  Object.entries({
    // The browser executes or reads these itself (script on our origin, local files, internal pages).
    "handled by the browser itself": [
      "javascript", "vbscript", "data", "blob", "file", "filesystem", "about", "view-source", "jar", "wyciwyg", "resource",
      "chrome", "chrome-extension", "chrome-untrusted", "edge", "opera", "brave", "moz-extension", "safari-extension",
      "intent", "android-app",
    ],
    // The code would go to a network server (and SMB/file also leak Windows credentials).
    "a network protocol": [
      "ws", "wss", "ftp", "ftps", "sftp", "ssh", "telnet", "smb", "nfs", "afp", "ldap", "ldaps", "gopher", "news", "nntp",
      "irc", "ircs", "mailto", "tel", "sms", "webcal", "git", "svn",
    ],
    // Windows protocol handlers that start programs (Follina: ms-msdt; search-ms), never an app's callback.
    "a Windows system handler": ["search-ms", "search", "shell", "hcp", "its", "mk", "mhtml", "res"],
  }).flatMap(([why, schemes]) => schemes.map((s) => [s, why] as const)),
);

/** Why `scheme` (without the colon, as written) may not be a native app's redirect scheme, or undefined. */
export function privateUseSchemeProblem(scheme: string): string | undefined {
  if (scheme !== scheme.toLowerCase()) return `the scheme ${scheme}: must be written in lowercase`;
  if (scheme.length > MAX_SCHEME_LENGTH || !SCHEME_SYNTAX.test(scheme)) {
    return `the scheme ${scheme}: has characters a private-use scheme does not use (letters, digits, "-" and "." only; RFC 8252 §7.1 suggests a reverse domain name such as com.example.app)`;
  }
  // http, https and anything that reads like them (https-evil, http.example): they would pass for a web
  // address on the consent page.
  if (scheme.startsWith("http")) return `the scheme ${scheme}: looks like http(s) but is not`;
  if (scheme.startsWith("ms-")) return `the scheme ${scheme}: is a Windows system handler, not an application's callback`;
  const why = REFUSED_SCHEMES.get(scheme);
  if (why) return `the scheme ${scheme}: is ${why}, not an application's callback`;
  return undefined;
}
