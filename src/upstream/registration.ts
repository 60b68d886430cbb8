import * as o from "oauth4webapi";
import type { UpstreamConnectionRepository } from "../store/repositories.ts";
import type { SealingKey } from "../store/sealed.ts";
import { requestOptions, type UpstreamAuthorization } from "./discovery.ts";
import type { GuardedFetch } from "./guarded-fetch.ts";
import type { UpstreamSpec } from "./spec.ts";

// The gateway as an OAuth client of an upstream's authorization server (spec §F18): `manual` uses the
// configured client; `auto` uses the gateway's own Client ID Metadata Document when the server supports
// CIMD and the gateway has a public https origin, else RFC 7591 dynamic registration, persisted per
// authProfileId (and redone when the redirect URI or issuer changes, or the server forgets the client).

export interface UpstreamClient {
  readonly client: o.Client;
  readonly auth: o.ClientAuth;
  readonly kind: "manual" | "dcr" | "cimd";
}

export class RegistrationError extends Error {
  override name = "RegistrationError";
}

export interface RegistrationContext {
  readonly origin: string;
  readonly redirectUri: string;
  readonly clientMetadataUrl: string;
  readonly repo: UpstreamConnectionRepository;
  readonly sealing: SealingKey;
  readonly fetcher: GuardedFetch;
  readonly now: number;
}

function authFor(method: string, secret: string | undefined): o.ClientAuth {
  if (method === "client_secret_post") return o.ClientSecretPost(secret!);
  if (method === "client_secret_basic") return o.ClientSecretBasic(secret!);
  return o.None();
}

/** The gateway's CIMD document for one upstream (spec §E15): what an authorization server fetches. */
export function clientMetadataDocument(spec: UpstreamSpec, clientMetadataUrl: string, redirectUri: string): Record<string, unknown> {
  return {
    client_id: clientMetadataUrl,
    client_name: `MCP Gateway: ${spec.displayName}`,
    redirect_uris: [redirectUri],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
  };
}

export async function upstreamClient(spec: UpstreamSpec, discovered: UpstreamAuthorization, ctx: RegistrationContext): Promise<UpstreamClient> {
  const registration = spec.options.clientRegistration;
  if (registration.mode === "manual") {
    const method = registration.tokenEndpointAuthMethod ?? (registration.clientSecret ? "client_secret_basic" : "none");
    return { client: { client_id: registration.clientId, token_endpoint_auth_method: method }, auth: authFor(method, registration.clientSecret), kind: "manual" };
  }
  const as = discovered.as;
  if (as.client_id_metadata_document_supported === true && ctx.origin.startsWith("https://")) {
    return { client: { client_id: ctx.clientMetadataUrl, token_endpoint_auth_method: "none" }, auth: o.None(), kind: "cimd" };
  }
  const stored = await ctx.repo.findClient(spec.authProfileId);
  if (stored && stored.issuer === as.issuer && stored.redirectUri === ctx.redirectUri) {
    const secret = stored.sealedSecret ? await ctx.sealing.open(stored.sealedSecret, spec.authProfileId) : undefined;
    return { client: { client_id: stored.clientId, token_endpoint_auth_method: stored.tokenEndpointAuthMethod }, auth: authFor(stored.tokenEndpointAuthMethod, secret), kind: "dcr" };
  }
  if (!as.registration_endpoint) {
    throw new RegistrationError(`${spec.displayName}'s authorization server (${as.issuer}) supports neither dynamic client registration nor client metadata documents${as.client_id_metadata_document_supported ? " (those need the gateway on a public https origin: set mcpgw.publicOrigin)" : ""}. Register a client there and set clientRegistration to {"mode": "manual", "clientId": …}.`);
  }
  const metadata = { ...clientMetadataDocument(spec, ctx.clientMetadataUrl, ctx.redirectUri), client_id: undefined };
  let registered: Awaited<ReturnType<typeof o.processDynamicClientRegistrationResponse>>;
  try {
    const response = await o.dynamicClientRegistrationRequest(as, metadata as Partial<o.Client>, requestOptions(spec, ctx.fetcher));
    registered = await o.processDynamicClientRegistrationResponse(response);
  } catch (err) {
    throw new RegistrationError(`${spec.displayName}'s authorization server refused to register the gateway: ${providerError(err)}`);
  }
  const method = typeof registered.token_endpoint_auth_method === "string" ? registered.token_endpoint_auth_method : "none";
  const secret = typeof registered.client_secret === "string" ? registered.client_secret : undefined;
  await ctx.repo.saveClient({
    authProfileId: spec.authProfileId,
    issuer: as.issuer,
    clientId: registered.client_id,
    sealedSecret: secret ? await ctx.sealing.seal(secret, spec.authProfileId) : null,
    tokenEndpointAuthMethod: method,
    redirectUri: ctx.redirectUri,
    kind: "dcr",
    createdAt: ctx.now,
  });
  return { client: { client_id: registered.client_id, token_endpoint_auth_method: method }, auth: authFor(method, secret), kind: "dcr" };
}

/** The provider's own words for a failed OAuth call (error and description), never a credential. */
export function providerError(err: unknown): string {
  if (err instanceof o.ResponseBodyError) return `${err.error}${err.error_description ? `: ${err.error_description}` : ""} (HTTP ${err.status})`;
  if (err instanceof o.AuthorizationResponseError) return `${err.error}${err.error_description ? `: ${err.error_description}` : ""}`;
  if (err instanceof o.WWWAuthenticateChallengeError) return `HTTP ${err.status} with a WWW-Authenticate challenge`;
  return err instanceof Error ? err.message : String(err);
}

/** invalid_client from the token endpoint: the server forgot our registration (spec §F18: register again). */
export function isInvalidClient(err: unknown): boolean {
  return err instanceof o.ResponseBodyError && err.error === "invalid_client";
}
