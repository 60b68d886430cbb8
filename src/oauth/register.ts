import { parseClientMetadata, SECRET_AUTH_METHODS } from "./client-metadata.ts";
import type { OAuthRequest, OAuthServer } from "./context.ts";
import { hashCredential, mintCredential, randomId } from "./credentials.ts";
import { InvalidClientMetadata, TemporarilyUnavailable } from "./errors.ts";
import { jsonResponse, NO_STORE } from "../http/headers.ts";
import { mediaType, readBoundedText } from "./http.ts";
import { safeHost } from "./redirect-uri.ts";

// POST {base}/oauth/register: RFC 7591 dynamic client registration (spec §1.6). Metadata is validated
// strictly (src/oauth/client-metadata.ts); a client_secret_* client gets its secret once, and only its hash
// is stored. Registrations expire after 90 days (spec §2.4) — or after mcpgw.oauth.unusedClientTtlHours
// (24 h) if they never obtain a token, and at most mcpgw.oauth.maxRegisteredClients live at once, so
// unauthenticated registrations cannot fill the disk (issue 18).

export const CLIENT_LIFETIME_MS = 90 * 24 * 60 * 60_000;

export async function register(server: OAuthServer, req: OAuthRequest): Promise<Response> {
  if (mediaType(req.request) !== "application/json") throw new InvalidClientMetadata("The registration request must be a JSON object (Content-Type: application/json).");
  let raw: unknown;
  try {
    raw = JSON.parse(await readBoundedText(req.request));
  } catch (err) {
    if (err instanceof InvalidClientMetadata) throw err;
    throw new InvalidClientMetadata(err instanceof SyntaxError ? "The registration request is not valid JSON." : (err as Error).message);
  }
  const metadata = parseClientMetadata(raw, { defaultAuthMethod: "client_secret_basic", devMode: server.mode === "dev" });
  const now = server.now();
  const clientId = randomId("dcr");
  // A private_key_jwt client proves itself with its key pair: it gets no secret, like a public client.
  const secret = SECRET_AUTH_METHODS.includes(metadata.token_endpoint_auth_method) ? mintCredential("cs") : undefined;
  // What the client is told: the longest its registration can live (the token endpoint extends an unused one).
  const expiresAt = now + CLIENT_LIFETIME_MS;
  const row = {
    clientId,
    secretHash: secret === undefined ? null : hashCredential(secret),
    metadata: JSON.stringify(metadata),
    createdAt: now,
    expiresAt: Math.min(expiresAt, now + Math.round(server.limits.unusedClientTtlHours * 3_600_000)),
  };
  const max = server.limits.maxRegisteredClients;
  // Count and insert in one transaction: concurrent registrations cannot overshoot the cap.
  const stored = await server.store.transaction(async (tx) => (await tx.clients.count(now)) < max && (await tx.clients.insert(row), true));
  if (!stored) {
    req.report("warn", "mcp_auth_client_limit_reached", `Registration refused: ${max} clients are registered (mcpgw.oauth.maxRegisteredClients).`, { maxRegisteredClients: max });
    throw new TemporarilyUnavailable("This gateway holds as many client registrations as it is configured to; try again later.", 503, 600);
  }
  req.report("info", "mcp_auth_client_registered", `Registered client ${metadata.client_name ?? clientId}.`, {
    clientId,
    clientName: metadata.client_name,
    redirectHosts: [...new Set(metadata.redirect_uris.map(safeHost))],
    tokenEndpointAuthMethod: metadata.token_endpoint_auth_method,
  });
  return jsonResponse(
    {
      client_id: clientId,
      client_id_issued_at: Math.floor(now / 1000),
      ...(secret === undefined ? {} : { client_secret: secret, client_secret_expires_at: Math.floor(expiresAt / 1000) }),
      ...metadata,
    },
    201,
    NO_STORE,
  );
}
