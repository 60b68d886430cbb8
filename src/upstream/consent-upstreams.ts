import type { ConsentUpstream, ConsentUpstreams } from "../oauth/context.ts";
import type { UpstreamRuntime } from "./runtime.ts";
import { connectionEndpoints, isAdministrator, SHARED_SUBJECT, type UpstreamSpec } from "./spec.ts";
import { mintTicket } from "./ticket.ts";

// What the consent page shows about a route's upstreams (spec §G19): connected or not, and a Connect
// link carrying a browserTicket for this person that returns to this consent page afterwards.

export function consentUpstreams(specs: ReadonlyMap<string, UpstreamSpec>, runtime: UpstreamRuntime, basePath: string): ConsentUpstreams {
  return async (subject, operationId, origin, requestId) => {
    const rows: ConsentUpstream[] = [];
    for (const spec of specs.values()) {
      if (!spec.operationIds.includes(operationId)) continue;
      const shared = spec.authMode === "shared-oauth";
      const connection = await runtime.vault.load(shared ? SHARED_SUBJECT : subject, spec.id);
      const mayConnect = !shared || isAdministrator(spec, subject);
      const ticket = mayConnect ? mintTicket(runtime.ticketKey, { subject, upstreamId: spec.id, operationId, returnTo: requestId }, runtime.now()) : undefined;
      rows.push({
        id: spec.id,
        displayName: spec.displayName,
        summary: spec.summary,
        connected: connection?.tokens !== undefined,
        required: !shared,
        connectUrl: ticket ? `${connectionEndpoints(origin, basePath, spec.id).connect}?browserTicket=${ticket}&operationId=${encodeURIComponent(operationId)}&redirect=true` : undefined,
      });
    }
    return rows;
  };
}
