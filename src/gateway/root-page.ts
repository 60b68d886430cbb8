import pkg from "../../package.json" with { type: "json" };
import type { GatewayConfig } from "../config/types.ts";
import { jsonResponse } from "../http/headers.ts";
import { escapeHtml, htmlResponse, layout } from "../oauth/pages.ts";
import { routeDirectory, signInSentence, type RouteEntry } from "./route-directory.ts";

// GET /: instead of a bare 404, a short page (or JSON for `Accept: application/json`) naming the routes,
// the URL an MCP client connects to on each and how sign-in happens there, and where the docs are. It
// never shows upstream URLs: those are the operator's, and anyone who reaches the gateway can read this.

/** Where the docs are: the files of the mcpgw repository (the gateway serves none of them). */
const DOCS: readonly { readonly file: string; readonly about: string }[] = [
  { file: "README.md", about: "set-up and the CLI" },
  { file: "docs/configuration.md", about: "the project files" },
  { file: "docs/oauth.md", about: "sign-in, consent and tokens" },
  { file: "docs/proxy.md", about: "the proxy and its analytics events" },
];

export interface RootDocument {
  readonly gateway: string;
  readonly version: string;
  readonly routes: readonly (RouteEntry & { readonly signInHow: string })[];
  readonly health: string;
  /** Files of the mcpgw repository, and what each covers. */
  readonly docs: typeof DOCS;
}

/** `healthPath`: the readiness endpoint (app.ts owns it). */
export function rootDocument(config: GatewayConfig, origin: string, mode: "dev" | "start", healthPath: string): RootDocument {
  return {
    gateway: "mcpgw",
    version: pkg.version,
    routes: routeDirectory(config, origin, mode).map((r) => ({ ...r, signInHow: signInSentence(r.signIn, config, origin) })),
    health: `${origin}${healthPath}`,
    docs: DOCS,
  };
}

function rootHtml(doc: RootDocument): string {
  const e = escapeHtml;
  const routes = doc.routes
    .map((r) => `<div><dt>${e(r.summary ?? r.operationId)}</dt><dd><code>${e(r.url)}</code><br><span class="muted">${e(r.signInHow)}</span></dd></div>`)
    .join("\n");
  const docs = DOCS.map((d) => `<li><code>${e(d.file)}</code>: ${e(d.about)}</li>`).join("\n");
  return layout(
    `${doc.gateway}: MCP gateway`,
    `<h1>This is an MCP gateway</h1>
<p>Point an MCP client (Streamable HTTP) at one of these URLs. <a href="https://modelcontextprotocol.io/">What is MCP?</a></p>
${doc.routes.length > 0 ? `<dl>\n${routes}\n</dl>` : "<p>The project has no routes yet.</p>"}
<p>Docs, in the mcpgw repository:</p>
<ul>
${docs}
</ul>
<p class="fine">${e(doc.gateway)} ${e(doc.version)} · readiness: <a href="${e(doc.health)}">${e(doc.health)}</a></p>`,
  );
}

/** JSON when the client asks for it and not for HTML (a browser asks for HTML first). */
function wantsJson(request: Request): boolean {
  const accept = request.headers.get("accept") ?? "";
  return accept.includes("application/json") && !accept.includes("text/html");
}

export function rootResponse(request: Request, doc: RootDocument): Response {
  return wantsJson(request) ? jsonResponse(doc, 200, { "cache-control": "no-store" }) : htmlResponse(rootHtml(doc));
}
