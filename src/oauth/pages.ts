import type { RedirectKind } from "./redirect-uri.ts";
import type { ConsentUpstream } from "./context.ts";

// Server-rendered pages of the browser part of the flow: consent, errors, dev-login. Plain HTML forms that
// work without JavaScript, inline CSS, no external assets; every interpolated value is escaped.

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const STYLE = `
:root{color-scheme:light dark;--bg:#f4f5f7;--card:#fff;--text:#1c2024;--muted:#5c6570;--line:#e1e4e8;--accent:#2f5bea;--accent-text:#fff;--warn-bg:#fff6e0;--warn-line:#f0c36d}
@media (prefers-color-scheme:dark){:root{--bg:#15171a;--card:#1e2125;--text:#e8eaed;--muted:#9aa3ad;--line:#30353b;--accent:#6d8cff;--accent-text:#0b0d10;--warn-bg:#2e2616;--warn-line:#8a6d2f}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:var(--bg);color:var(--text);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;padding:24px}
main{width:100%;max-width:460px;background:var(--card);border:1px solid var(--line);border-radius:14px;padding:28px 28px 24px;box-shadow:0 8px 30px rgba(0,0,0,.06)}
.brand{font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:var(--muted);margin:0 0 14px}
h1{font-size:21px;line-height:1.3;margin:0 0 6px}
h1:focus{outline:none}
p{margin:0 0 14px}
.muted{color:var(--muted)}
dl{margin:18px 0;border-top:1px solid var(--line)}
dl div{display:flex;gap:12px;padding:10px 0;border-bottom:1px solid var(--line)}
dt{flex:0 0 120px;color:var(--muted)}
dd{margin:0;flex:1;min-width:0;overflow-wrap:anywhere}
code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace}
.warn{background:var(--warn-bg);border:1px solid var(--warn-line);border-radius:8px;padding:10px 12px;margin:0 0 16px;font-size:14px}
.actions{display:flex;gap:10px;justify-content:flex-end;margin-top:22px}
button{font:inherit;font-weight:600;border-radius:8px;padding:9px 18px;cursor:pointer;border:1px solid var(--line);background:transparent;color:var(--text)}
button.primary{background:var(--accent);border-color:var(--accent);color:var(--accent-text)}
button:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.fine{font-size:13px;color:var(--muted);margin:16px 0 0}
a.button{display:inline-block;margin-top:6px;font-weight:600;border-radius:8px;padding:6px 14px;background:var(--accent);color:var(--accent-text);text-decoration:none}
.ok{color:#1a7f37;font-weight:600}
button:disabled{opacity:.5;cursor:not-allowed}
form.session{display:flex;flex-wrap:wrap;gap:8px;align-items:center;justify-content:flex-end;margin:16px 0 0;font-size:13px;color:var(--muted)}
form.session button{font-size:13px;font-weight:400;padding:5px 12px}
`;

/** Headers for every page: no caching, no framing (clickjacking the Authorize button), no referrer. */
export const PAGE_HEADERS: Record<string, string> = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "x-frame-options": "DENY",
  // No form-action: browsers apply it to the redirect that follows the consent POST (to the client).
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on the consent POST.
  "referrer-policy": "same-origin",
  "x-content-type-options": "nosniff",
};

/** A page in the gateway's look: the consent page, the dev-login picker, notices, GET /. */
export function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>
<p class="brand">MCP Gateway</p>
${body}
</main></body></html>`;
}

export function htmlResponse(html: string, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(html, { status, headers: { ...PAGE_HEADERS, ...headers } });
}

export interface ConsentView {
  readonly clientName: string;
  /** Where the client's id comes from: a CIMD URL host, or "registered with this gateway". */
  readonly clientOrigin: string;
  /** Host, or scheme and host for a native app (`cursor://anysphere.cursor-mcp`): never the full URI. */
  readonly redirectHost: string;
  readonly redirectKind: RedirectKind;
  readonly routeName: string;
  readonly operationId: string;
  readonly routeUrl: string;
  readonly subject: string;
  readonly scope: string;
  readonly formAction: string;
  readonly requestId: string;
  readonly csrfToken: string;
  readonly approvedBefore?: Date;
  /**
   * A CIMD client redirecting to this computer (loopback or an app scheme): any local program can claim its
   * URL (MCP authorization, CIMD security considerations; RFC 8252 §8.6).
   */
  readonly localCimd: boolean;
  /** The route's upstream services and whether this person has connected them (issue 21). */
  readonly upstreams?: readonly ConsentUpstream[];
  /** "Switch user" / "Sign out" for the signed-in person. */
  readonly session?: SessionControls;
}

/** One row per upstream: connected, a Connect link (a plain GET, no JavaScript), or who must connect it. */
function upstreamRows(upstreams: readonly ConsentUpstream[]): string {
  const e = escapeHtml;
  return upstreams
    .map((u) => {
      const status = u.connected
        ? `<span class="ok">Connected</span>`
        : u.connectUrl
          ? `<a class="button" href="${e(u.connectUrl)}">Connect ${e(u.displayName)}</a>`
          : `<span class="muted">An administrator must connect ${e(u.displayName)}.</span>`;
      return `<div><dt>${e(u.displayName)}</dt><dd>${u.summary ? `${e(u.summary)}<br>` : ""}${status}</dd></div>`;
    })
    .join("\n");
}

/** The sign-out form (src/oauth/sign-out.ts) a page offers the signed-in person. */
export interface SessionControls {
  readonly action: string;
  readonly subject: string;
  readonly token: string;
  /** The pending authorization request, so that switching user comes back to it. */
  readonly requestId?: string;
  /** Whether another identity can be chosen (dev-login's local users, or an IdP). */
  readonly canSwitch: boolean;
}

/**
 * A separate form after the page's own: hidden fields named apart from the consent form's (`sign_out_token`,
 * not `csrf_token`), so neither form's fields can stand in for the other's.
 */
export function sessionForm(c: SessionControls): string {
  const e = escapeHtml;
  return `<form method="post" action="${e(c.action)}" class="session">
${c.requestId ? `<input type="hidden" name="request" value="${e(c.requestId)}">\n` : ""}<input type="hidden" name="sign_out_token" value="${e(c.token)}">
<span>Not ${e(c.subject)}?</span>
${c.canSwitch ? `<button type="submit" name="then" value="switch">Switch user</button>\n` : ""}<button type="submit" name="then" value="sign_out">Sign out</button>
</form>`;
}

export function consentPage(v: ConsentView): string {
  const e = escapeHtml;
  const warnings: string[] = [];
  if (v.localCimd) {
    warnings.push(
      `<p class="warn">This application only redirects to programs on your own computer. Any program can claim to be <strong>${e(v.clientName)}</strong> this way; continue only if you started this sign-in yourself.</p>`,
    );
  }
  const redirect = {
    web: `<code>${e(v.redirectHost)}</code>`,
    loopback: `<code>${e(v.redirectHost)}</code> <span class="muted">(a program on this computer)</span>`,
    // RFC 8252 §7.1: the scheme names the app; show it whole, so `cursor:` cannot pass for a web address.
    app: `<code>${e(v.redirectHost)}</code> <span class="muted">(the application on this computer that handles <code>${e(v.redirectHost.split(":")[0]!)}:</code> links)</span>`,
  }[v.redirectKind];
  return layout(
    `Authorize ${v.clientName}`,
    // Focus starts on the heading, not on Authorize: an Enter pressed as the page appears (typing in
    // the client a moment ago) must not approve. Cancel comes first in tab order.
    `<h1 tabindex="-1" autofocus>Authorize ${e(v.clientName)}?</h1>
<p class="muted">Signed in as <strong>${e(v.subject)}</strong></p>
${warnings.join("\n")}
<p><strong>${e(v.clientName)}</strong> asks to use the MCP server <strong>${e(v.routeName)}</strong> on your behalf.</p>
<dl>
<div><dt>Application</dt><dd>${e(v.clientName)}<br><span class="muted">${e(v.clientOrigin)}</span></dd></div>
<div><dt>Sends you back to</dt><dd>${redirect}</dd></div>
<div><dt>MCP server</dt><dd>${e(v.routeName)}<br><code>${e(v.routeUrl)}</code> <span class="muted">(${e(v.operationId)})</span></dd></div>
<div><dt>Access</dt><dd><code>${e(v.scope)}</code>: call the tools of this MCP server</dd></div>
</dl>
${v.upstreams?.length ? `<p>It reaches these services with your own connection to each:</p>\n<dl class="upstreams">\n${upstreamRows(v.upstreams)}\n</dl>` : ""}
${v.approvedBefore ? `<p class="fine">You authorized this application for this server before, on ${e(v.approvedBefore.toISOString().slice(0, 10))}.</p>` : ""}
<form method="post" action="${e(v.formAction)}">
<input type="hidden" name="request" value="${e(v.requestId)}">
<input type="hidden" name="csrf_token" value="${e(v.csrfToken)}">
<div class="actions">
<button type="submit" name="decision" value="cancel">Cancel</button>
<button type="submit" name="decision" value="approve" class="primary"${v.upstreams?.some((u) => u.required && !u.connected) ? " disabled" : ""}>Authorize</button>
</div>
</form>
<p class="fine">The application gets access to this one MCP server only, with a token that expires unless the application renews it.</p>
${v.session ? sessionForm(v.session) : ""}`,
  );
}

export interface ErrorView {
  readonly title: string;
  readonly message: string;
  /** The OAuth error code or gateway reason, shown as developer detail. */
  readonly code: string;
  readonly note?: string;
}

export function errorPage(v: ErrorView): string {
  return layout(
    v.title,
    `<h1>${escapeHtml(v.title)}</h1>
<p>${escapeHtml(v.message)}</p>
<p class="fine">Developer details: <code>${escapeHtml(v.code)}</code>.${v.note ? ` ${escapeHtml(v.note)}` : ""}</p>`,
  );
}

export function noticePage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}

export interface DevUserPickerView {
  readonly users: readonly { readonly sub: string; readonly claims: Record<string, unknown> }[];
  readonly formAction: string;
  readonly csrfToken: string;
  /** The pending authorization request the sign-in continues. */
  readonly requestId?: string;
}

/** The dev-login picker when `mcpgw.devLogin.users` lists local identities: one POST form, a button per identity. */
export function devUserPickerPage(v: DevUserPickerView): string {
  const e = escapeHtml;
  const rows = v.users
    .map((u) => `<div><dt><button type="submit" name="as" value="${e(u.sub)}">${e(u.sub)}</button></dt><dd><code>${e(JSON.stringify(u.claims))}</code></dd></div>`)
    .join("\n");
  return layout(
    "Dev login",
    `<h1 tabindex="-1" autofocus>Sign in as…</h1>
<p class="muted">Local development identities from <code>mcpgw.devLogin.users</code> in zuplo.jsonc, with the claims each one signs in with.</p>
<form method="post" action="${e(v.formAction)}">
${v.requestId ? `<input type="hidden" name="request" value="${e(v.requestId)}">\n` : ""}<input type="hidden" name="csrf_token" value="${e(v.csrfToken)}">
<dl>
${rows}
</dl>
</form>
<p class="fine">dev-login answers only under <code>mcpgw dev</code>, over loopback.</p>`,
  );
}

/** dev-login for a browser that is signed in already: who, and the way out. */
export function devLoginStatusPage(session: SessionControls): string {
  return layout(
    "Signed in",
    `<h1>Signed in</h1>
<p>You are signed in to this gateway as <strong>${escapeHtml(session.subject)}</strong>. Return to your MCP client to connect.</p>
${sessionForm(session)}`,
  );
}
