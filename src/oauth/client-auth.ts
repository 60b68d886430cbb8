import { isUrlClientId } from "./cimd.ts";
import type { ClientAuthMethod } from "./client-metadata.ts";
import { registeredClient, type ResolvedClient } from "./clients.ts";
import type { OAuthServer } from "./context.ts";
import { hashCredential, sameSecret } from "./credentials.ts";
import { InvalidClient, InvalidRequest } from "./errors.ts";

// Client authentication at the token and revocation endpoints (RFC 6749 §2.3, OAuth 2.1 §2.4):
// client_secret_basic, client_secret_post, or none (public clients name themselves with client_id).

export interface PresentedCredentials {
  readonly clientId: string;
  readonly secret?: string;
  readonly method: ClientAuthMethod;
}

export interface AuthenticatedClient {
  readonly clientId: string;
  /** The DCR registration; undefined for CIMD clients (public, their document is not re-read here). */
  readonly registration: ResolvedClient | undefined;
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return value;
  }
}

/** What the request presents, without judging it yet; undefined when it names no client at all. */
export function presentedCredentials(request: Request, form: Map<string, string>): PresentedCredentials | undefined {
  const header = request.headers.get("authorization");
  const formId = form.get("client_id");
  const formSecret = form.get("client_secret");
  if (header !== null) {
    const m = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
    if (!m) throw new InvalidClient("The Authorization header is not HTTP Basic credentials.", true);
    const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon === -1) throw new InvalidClient("The Basic credentials have no client secret.", true);
    // RFC 6749 §2.3.1: both parts are form-encoded (many clients skip that; our ids have no ':' or '%').
    const clientId = formDecode(decoded.slice(0, colon));
    if (formSecret !== undefined) throw new InvalidRequest("Use one client authentication method, not Basic and client_secret together.");
    if (formId !== undefined && formId !== clientId) throw new InvalidRequest("client_id in the body differs from the Basic credentials.");
    return { clientId, secret: formDecode(decoded.slice(colon + 1)), method: "client_secret_basic" };
  }
  if (formSecret !== undefined) {
    if (formId === undefined) throw new InvalidRequest("client_secret was sent without client_id.");
    return { clientId: formId, secret: formSecret, method: "client_secret_post" };
  }
  return formId === undefined ? undefined : { clientId: formId, method: "none" };
}

/** Checks presented credentials against the registration; InvalidClient when they do not hold. */
export async function authenticateClient(server: OAuthServer, presented: PresentedCredentials): Promise<AuthenticatedClient> {
  const basic = presented.method === "client_secret_basic";
  if (isUrlClientId(presented.clientId)) {
    // CIMD clients cannot hold a shared secret (CIMD draft §4.1); they are public.
    if (presented.method !== "none") throw new InvalidClient("A client identified by a metadata document URL is public and cannot use a client secret.", basic);
    if (!server.options.cimdEnabled) throw new InvalidClient("This gateway does not accept client ID metadata documents.", basic);
    return { clientId: presented.clientId, registration: undefined };
  }
  const client = await registeredClient(server, presented.clientId);
  if (!client) throw new InvalidClient("The client is not registered with this gateway, or its registration expired; register again.", basic);
  const registered = client.metadata.token_endpoint_auth_method;
  if (registered !== presented.method) throw new InvalidClient(`The client registered token_endpoint_auth_method ${registered} and must authenticate that way.`, basic);
  if (registered !== "none" && (client.secretHash === null || !sameSecret(hashCredential(presented.secret ?? ""), client.secretHash))) {
    throw new InvalidClient("The client secret is wrong.", basic);
  }
  return { clientId: client.clientId, registration: client };
}
