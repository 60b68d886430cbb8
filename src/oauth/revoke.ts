import { isUrlClientId } from "./cimd.ts";
import { authenticateClient, presentedCredentials } from "./client-auth.ts";
import { registeredClient, resolveClient } from "./clients.ts";
import type { OAuthRequest, OAuthServer } from "./context.ts";
import { hashCredential } from "./credentials.ts";
import { InvalidClient, InvalidRequest } from "./errors.ts";
import { NO_STORE } from "../http/headers.ts";
import { readForm } from "./http.ts";

// POST {base}/oauth/revoke (RFC 7009, spec §1.6). Always 200 with an empty body once the request is well
// formed, also for unknown tokens (§2.2: nothing to learn from it). Revoking a refresh token revokes its
// whole grant; revoking an access token revokes that token. Public clients may revoke without
// authenticating (whoever holds a token may give it up); a confidential client's token (client secret or
// private_key_jwt) needs its credentials.

export async function revoke(server: OAuthServer, req: OAuthRequest): Promise<Response> {
  const form = await readForm(req.request);
  const token = form.get("token");
  if (token === undefined) throw new InvalidRequest("The token parameter is missing.");
  const presented = presentedCredentials(req.request, form);
  const client = presented ? await authenticateClient(server, req, "revoke", presented) : undefined;
  const tokenHash = hashCredential(token);
  const row = await server.store.tokens.findToken(tokenHash);
  const done = () => new Response(null, { status: 200, headers: NO_STORE });
  if (!row) return done();
  if (client && row.clientId !== client.clientId) {
    // RFC 7009 §2.1: a client may revoke only its own tokens. Answer as for an unknown token.
    req.report("info", "mcp_auth_revocation_ignored", "A client asked to revoke another client's token.", { clientId: client.clientId, reasonCode: "other_client" });
    return done();
  }
  // A CIMD owner's document says whether it is public (none) or holds a key pair (private_key_jwt).
  const owner = client ? undefined : isUrlClientId(row.clientId) ? await resolveClient(server, row.clientId) : await registeredClient(server, row.clientId);
  if (owner && owner.metadata.token_endpoint_auth_method !== "none") {
    throw new InvalidClient("This token belongs to a confidential client; authenticate as that client to revoke it.");
  }
  const fields = { subjectId: row.subject, clientId: row.clientId, operationId: row.operationId, grantId: row.grantId, reason: "client_request" };
  if (row.kind === "refresh") {
    if (await server.runtime.revokeGrant(row.grantId)) req.report("info", "mcp_auth_downstream_token_revoked", "Revoked a grant at the client's request (refresh token).", { ...fields, kind: "refresh" });
  } else {
    const changed = await server.store.tokens.revokeToken(tokenHash, server.now());
    server.runtime.accessTokens.evictToken(tokenHash);
    if (changed) req.report("info", "mcp_auth_downstream_token_revoked", "Revoked an access token at the client's request.", { ...fields, kind: "access" });
  }
  return done();
}
