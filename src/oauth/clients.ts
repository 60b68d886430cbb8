import type { ClientMetadata } from "./client-metadata.ts";
import { isUrlClientId } from "./cimd.ts";
import type { OAuthServer } from "./context.ts";
import { InvalidClient } from "./errors.ts";

/** A client the authorization server recognises, however it registered. */
export interface ResolvedClient {
  readonly clientId: string;
  readonly kind: "dcr" | "cimd";
  readonly metadata: ClientMetadata;
  /** SHA-256 of the client secret (DCR confidential clients only). */
  readonly secretHash: string | null;
  /** client_name, else the CIMD URL's host, else the client_id: what the consent page calls it. */
  readonly displayName: string;
}

/** A DCR client from the store (unknown or expired → undefined). */
export async function registeredClient(server: OAuthServer, clientId: string): Promise<ResolvedClient | undefined> {
  const row = await server.store.clients.find(clientId, server.now());
  if (!row) return undefined;
  const metadata = JSON.parse(row.metadata) as ClientMetadata;
  return { clientId, kind: "dcr", metadata, secretHash: row.secretHash, displayName: metadata.client_name ?? clientId };
}

/**
 * The client behind `clientId`: a CIMD document when it is a URL (and CIMD is enabled), else a DCR
 * registration. InvalidClient otherwise, with a message a developer can act on.
 */
export async function resolveClient(server: OAuthServer, clientId: string): Promise<ResolvedClient> {
  if (isUrlClientId(clientId)) {
    if (!server.options.cimdEnabled) throw new InvalidClient("This gateway does not accept client ID metadata documents (gateway.cimdEnabled is false); register with DCR.");
    const metadata = await server.runtime.cimd.resolve(clientId);
    return { clientId, kind: "cimd", metadata, secretHash: null, displayName: metadata.client_name ?? new URL(clientId).host };
  }
  const client = await registeredClient(server, clientId);
  if (!client) throw new InvalidClient("The client is not registered with this gateway, or its registration expired (after 90 days); register again.");
  return client;
}
