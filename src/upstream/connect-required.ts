import type { JsonRpcId } from "../mcp/jsonrpc.ts";
import type { UpstreamSpec } from "./spec.ts";

// The connect-required answer (spec §D11): JSON-RPC error -32042 with Zuplo's `data`, plus the MCP
// 2025-11-25 URL-elicitation form (`elicitations`), which the SDK client turns into a
// UrlElicitationRequiredError. HTTP 200: a JSON-RPC error travels in a successful HTTP response, and
// clients only read the body of one.

export const CONNECT_REQUIRED_CODE = -32042;

export type ConnectState = "authenticating" | "reconsent_required" | "admin_connect_required";

export function connectMessage(state: ConnectState, displayName: string): string {
  if (state === "authenticating") return `Connect ${displayName} to continue.`;
  if (state === "reconsent_required") return `${displayName} authorization must be renewed.`;
  return `An administrator must connect ${displayName} before this service is available.`;
}

export interface ConnectRequired {
  readonly state: ConnectState;
  readonly spec: UpstreamSpec;
  readonly operationId: string;
  /** The connect URL with its browserTicket; absent when the person cannot connect (admin_connect_required). */
  readonly authUrl: string | undefined;
}

export function connectRequiredData(c: ConnectRequired): Record<string, unknown> {
  const message = connectMessage(c.state, c.spec.displayName);
  return {
    state: c.state,
    upstreamServerId: c.spec.id,
    operationId: c.operationId,
    ...(c.authUrl ? { authUrl: c.authUrl, nextAction: "redirect" } : { nextAction: "contact_administrator" }),
    authProfileId: c.spec.authProfileId,
    ...(c.authUrl ? { elicitations: [{ mode: "url", elicitationId: crypto.randomUUID(), url: c.authUrl, message }] } : {}),
  };
}

export function connectRequiredBody(id: JsonRpcId, c: ConnectRequired): string {
  return JSON.stringify({ jsonrpc: "2.0", id, error: { code: CONNECT_REQUIRED_CODE, message: connectMessage(c.state, c.spec.displayName), data: connectRequiredData(c) } });
}

export function connectRequiredResponse(id: JsonRpcId, c: ConnectRequired, status = 200): Response {
  return new Response(connectRequiredBody(id, c), { status, headers: { "content-type": "application/json", "cache-control": "no-store" } });
}
