import type { Revocation } from "../repositories.ts";

// Revocations travel between the instances of a fleet as PostgreSQL notifications: the statement that
// revokes also calls pg_notify, so the notice is sent exactly when the revocation commits (NOTIFY is
// transactional) and never for one that rolled back. Payloads carry a token hash or a grant id, never a
// credential.

export const REVOCATION_CHANNEL = "mcpgw_revocations";

export function parseRevocation(payload: string): Revocation {
  if (payload.startsWith("token:")) return { kind: "token", tokenHash: payload.slice(6) };
  if (payload.startsWith("grant:")) return { kind: "grant", grantId: payload.slice(6) };
  // A payload this version does not know (a newer instance in a rolling upgrade): forget everything cached.
  return { kind: "unknown" };
}
