import type { Context, Hono } from "hono";
import { jsonResponse, NO_STORE, readCookie } from "../http/headers.ts";
import { publicOrigin, type OriginSettings } from "../http/origin.ts";
import type { Logger, LogFields } from "../log/logger.ts";
import { hashCredential } from "../oauth/credentials.ts";
import { errorPage, htmlResponse, noticePage } from "../oauth/pages.ts";
import { sessionCookieName } from "../oauth/session.ts";
import type { Observer } from "../observe/observer.ts";
import type { Store } from "../store/repositories.ts";
import { connectRequiredBody } from "./connect-required.ts";
import { clientMetadataDocument } from "./registration.ts";
import type { UpstreamRuntime } from "./runtime.ts";
import { connectionEndpoints, isAdministrator, SHARED_SUBJECT, type UpstreamSpec } from "./spec.ts";
import { verifyTicket, type BrowserTicket } from "./ticket.ts";

// The browser side of upstream connections (spec §E13–15), mounted for configs with token-exchange
// policies: {base}/auth/connections/{id}/connect sends the person to the upstream's authorization server,
// /callback stores what comes back, and /.well-known/oauth-client/{id} is the gateway's own client
// metadata document for that upstream (CIMD).

type Env = { Bindings: { clientAddress: string | undefined } };

export interface ConnectionServer {
  readonly specs: ReadonlyMap<string, UpstreamSpec>;
  readonly runtime: UpstreamRuntime;
  readonly store: Store;
  readonly observer: Observer;
  readonly log: Logger;
  readonly basePath: string;
  readonly settings: OriginSettings;
}

const failure = (title: string, message: string, code: string, status: number, note?: string) => htmlResponse(errorPage({ title, message, code, ...(note ? { note } : {}) }), status);

export function mountUpstreamConnections(app: Hono<Env>, server: ConnectionServer): void {
  const base = `${server.basePath}/auth/connections`;
  const report = (log: Logger, level: "info" | "warn", name: string, message: string, fields: LogFields) => server.observer.auth(log, level, name, message, fields);
  const request = (c: Context<Env>) => {
    const url = new URL(c.req.url);
    const spec = server.specs.get(c.req.param("id") ?? "");
    return { url, spec, origin: publicOrigin(c.req.raw, url, server.settings), log: server.log.child({ requestId: crypto.randomUUID(), endpoint: url.pathname }) };
  };
  const sessionSubject = async (c: Context<Env>, origin: string) => {
    const value = readCookie(c.req.raw, sessionCookieName(origin));
    if (!value?.startsWith("sess_")) return undefined;
    return (await server.store.sessions.find(hashCredential(value), server.runtime.now()))?.subject;
  };

  app.get(`${base}/:id/connect`, async (c) => {
    const { url, spec, origin, log } = request(c);
    if (!spec) return failure("Unknown service", `This gateway has no upstream "${c.req.param("id")}".`, "unknown_upstream", 404);
    const ticket = verifyTicket(server.runtime.ticketKey, url.searchParams.get("browserTicket") ?? "", server.runtime.now());
    const operationId = url.searchParams.get("operationId") ?? "";
    if (!ticket || ticket.upstreamId !== spec.id || ticket.operationId !== operationId) {
      return failure("This link has expired", `The link to connect ${spec.displayName} is invalid or has expired. Call the tool again from your MCP client to get a new one.`, "invalid_browser_ticket", 400);
    }
    const browser = url.searchParams.get("redirect") === "true" || (c.req.header("accept") ?? "").includes("text/html");
    if (!browser) {
      // Spec §E13: an API caller gets the connect-required payload (428), to hand to a browser.
      return new Response(connectRequiredBody(null, { state: "authenticating", spec, operationId, authUrl: url.href }), { status: 428, headers: { "content-type": "application/json", ...NO_STORE } });
    }
    const who = await connectingAs(c, spec, ticket, origin);
    if (who instanceof Response) return who;
    try {
      const location = await server.runtime.beginConnect(spec, origin, server.basePath, { ...who, operationId, ...(ticket.returnTo ? { returnTo: ticket.returnTo } : {}) });
      return new Response(null, { status: 302, headers: { location, ...NO_STORE } });
    } catch (err) {
      report(log, "warn", "mcp_auth_upstream_connect_failed", `Connecting ${spec.displayName} could not start: ${(err as Error).message}`, { upstreamServerId: spec.id, authProfileId: spec.authProfileId, reasonCode: (err as { code?: string }).code ?? "upstream_setup_failed" });
      return failure(`${spec.displayName} cannot be connected`, (err as Error).message, (err as { code?: string }).code ?? "upstream_setup_failed", 502);
    }
  });

  /**
   * Whose connection this is. The browser's gateway session must be the ticket's person (a link sent to
   * someone else connects nothing); a shared connection needs an administrator, or a CLI admin ticket.
   */
  async function connectingAs(c: Context<Env>, spec: UpstreamSpec, ticket: BrowserTicket, origin: string) {
    const shared = spec.authMode === "shared-oauth";
    if (ticket.admin) return shared ? { subject: SHARED_SUBJECT, connectedBy: ticket.subject } : failure("Not allowed", "Administrator links connect shared services only.", "admin_ticket_not_shared", 403);
    const session = await sessionSubject(c, origin);
    if (session === undefined) {
      return failure("Sign in first", `Sign in to this gateway in this browser first (start from your MCP client), then open the link to connect ${spec.displayName} again.`, "no_gateway_session", 401);
    }
    if (session !== ticket.subject) {
      return failure("This link is for someone else", `The link to connect ${spec.displayName} was made for another person than the one signed in to this browser.`, "browser_session_mismatch", 403);
    }
    if (shared && !isAdministrator(spec, session)) return failure("Administrators only", `Only an administrator can connect ${spec.displayName} for everyone.`, "not_an_administrator", 403);
    return { subject: shared ? SHARED_SUBJECT : session, connectedBy: session, sessionSubject: session };
  }

  app.get(`${base}/:id/callback`, async (c) => {
    const { url, spec, origin, log } = request(c);
    if (!spec) return failure("Unknown service", `This gateway has no upstream "${c.req.param("id")}".`, "unknown_upstream", 404);
    const state = url.searchParams.get("state") ?? "";
    const flow = state ? await server.runtime.takeConnectState(state) : undefined;
    if (!flow) return failure("This connection attempt has expired", `Start connecting ${spec.displayName} again.`, "unknown_connect_state", 400);
    // The callback comes back to the browser that started it (its session cookie is sent on this top-level GET).
    if (flow.sessionSubject !== undefined && (await sessionSubject(c, origin)) !== flow.sessionSubject) {
      return failure("This link is for someone else", `The connection to ${spec.displayName} was started in another sign-in session.`, "browser_session_mismatch", 403);
    }
    const fields = { upstreamServerId: spec.id, authProfileId: spec.authProfileId, upstreamAuthMode: spec.authMode, subjectId: flow.connectedBy, operationId: flow.operationId };
    try {
      await server.runtime.completeConnect(spec, origin, server.basePath, flow, state, url.searchParams);
    } catch (err) {
      const code = (err as { code?: string }).code ?? "upstream_connect_failed";
      report(log, "warn", "mcp_auth_upstream_connect_failed", (err as Error).message, { ...fields, reasonCode: code });
      return failure(`${spec.displayName} was not connected`, (err as Error).message, code, 502);
    }
    report(log, "info", "mcp_auth_upstream_connection_established", `${flow.connectedBy} connected ${spec.displayName}${flow.subject === SHARED_SUBJECT ? " for everyone" : ""}.`, fields);
    if (flow.returnTo) {
      const location = `${origin}${server.basePath}/oauth/setup?request=${encodeURIComponent(flow.returnTo)}`;
      return new Response(null, { status: 303, headers: { location, ...NO_STORE } });
    }
    return htmlResponse(noticePage(`${spec.displayName} connected`, `${spec.displayName} is connected. Return to your MCP client and try again.`));
  });

  // Spec §E15: the gateway's client metadata document for each upstream (the client_id is this URL).
  app.get("/.well-known/oauth-client/:id", (c) => {
    const { spec, origin } = request(c);
    if (!spec) return jsonResponse({ error: "not_found" }, 404);
    const endpoints = connectionEndpoints(origin, server.basePath, spec.id);
    return jsonResponse(clientMetadataDocument(spec, endpoints.clientMetadata, endpoints.callback), 200, { "cache-control": "public, max-age=300" });
  });
}
