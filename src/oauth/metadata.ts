import type { RouteConfig } from "../config/types.ts";
import type { BrowserLoginKind } from "../schemas/authorization-server.ts";
import { ASSERTION_ALGORITHMS } from "./client-assertion.ts";
import { CLIENT_AUTH_METHODS, MCP_SCOPE } from "./client-metadata.ts";
import { routeResource } from "./resource.ts";

// Discovery documents (spec §1.7): RFC 9728 protected resource metadata per route and RFC 8414
// authorization server metadata, gateway-wide and per route. Pure: origin and config in, JSON out.

export const MCP_PROTOCOL_VERSION = "2025-11-25";

/** Where the AS endpoints live: `{origin}{basePath}/oauth/...` (basePath "" is the root layout). */
export function oauthEndpoints(origin: string, basePath: string) {
  const base = `${origin}${basePath}/oauth`;
  return {
    authorize: `${base}/authorize`,
    token: `${base}/token`,
    register: `${base}/register`,
    revoke: `${base}/revoke`,
  };
}

/** RFC 9728 §3.1: the well-known segment goes between the host and the resource's path. */
export function protectedResourceMetadataUrl(origin: string, route: Pick<RouteConfig, "path">): string {
  return `${origin}/.well-known/oauth-protected-resource${route.path}`;
}

export function protectedResourceMetadata(origin: string, route: RouteConfig) {
  const resource = routeResource(origin, route);
  return {
    resource,
    resource_name: route.summary ?? route.operationId,
    // The route URI is also its issuer: clients then read the per-route AS metadata (spec §1.7).
    authorization_servers: [resource],
    bearer_methods_supported: ["header"],
    scopes_supported: [MCP_SCOPE],
    mcp_protocol_version: MCP_PROTOCOL_VERSION,
  };
}

export interface AuthorizationServerMetadataInput {
  readonly origin: string;
  readonly basePath: string;
  /** A route for the per-route document; undefined for the gateway-wide one. */
  readonly route: RouteConfig | undefined;
  readonly cimdEnabled: boolean;
  readonly loginKind: BrowserLoginKind;
}

/** RFC 8414 §2 metadata; `issuer` is the origin (gateway-wide) or the route URI (per route). */
export function authorizationServerMetadata(input: AuthorizationServerMetadataInput) {
  const endpoints = oauthEndpoints(input.origin, input.basePath);
  const issuer = input.route ? routeResource(input.origin, input.route) : input.origin;
  return {
    issuer,
    authorization_endpoint: input.route ? `${endpoints.authorize}${input.route.path}` : endpoints.authorize,
    token_endpoint: endpoints.token,
    registration_endpoint: endpoints.register,
    revocation_endpoint: endpoints.revoke,
    scopes_supported: [MCP_SCOPE],
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: ["authorization_code", "refresh_token"],
    code_challenge_methods_supported: ["S256"],
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    // RFC 8414 §2: required when private_key_jwt is listed.
    token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGORITHMS],
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    revocation_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGORITHMS],
    // RFC 9207: every authorization response carries `iss`.
    authorization_response_iss_parameter_supported: true,
    ...(input.cimdEnabled ? { client_id_metadata_document_supported: true } : {}),
    "x-zuplo-browser-login-kind": input.loginKind,
  };
}
