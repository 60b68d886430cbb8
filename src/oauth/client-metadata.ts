import type { JSONWebKeySet } from "jose";
import * as v from "valibot";
import { ASSERTION_ALGORITHMS } from "./client-assertion.ts";
import { InvalidClientMetadata, InvalidRedirectUri } from "./errors.ts";
import { jwksUriProblem, publicJwksProblem } from "./jwks.ts";
import { redirectUriProblem } from "./redirect-uri.ts";

// Client metadata (RFC 7591 §2) as both DCR bodies and CIMD documents carry it. Unknown members are
// ignored (RFC 7591 §2: "the authorization server MAY ignore"); the ones we act on are checked strictly.

/** The only scope the gateway grants (spec §2.2). */
export const MCP_SCOPE = "mcp:tools";

export const CLIENT_AUTH_METHODS = ["none", "client_secret_basic", "client_secret_post", "private_key_jwt"] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];
/** The methods that authenticate with a secret the gateway mints at registration. */
export const SECRET_AUTH_METHODS: readonly ClientAuthMethod[] = ["client_secret_basic", "client_secret_post"];
export const GRANT_TYPES = ["authorization_code", "refresh_token"] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

const Text = (max: number) => v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(max), v.regex(/^[^\p{Cc}\p{Cf}]*$/u, "must not contain control or invisible formatting characters (e.g. U+202E, which reverses text on the consent page)"));

const ClientMetadataSchema = v.looseObject({
  redirect_uris: v.pipe(v.array(v.pipe(v.string(), v.maxLength(2000))), v.minLength(1, "list at least one redirect URI"), v.maxLength(20)),
  client_name: v.optional(Text(200)),
  client_uri: v.optional(v.pipe(v.string(), v.url(), v.startsWith("https://", "must be an https URL"), v.maxLength(2000))),
  token_endpoint_auth_method: v.optional(v.string()),
  grant_types: v.optional(v.pipe(v.array(v.string()), v.minLength(1))),
  response_types: v.optional(v.pipe(v.array(v.string()), v.minLength(1))),
  scope: v.optional(v.string()),
  software_id: v.optional(Text(200)),
  software_version: v.optional(Text(100)),
  jwks: v.optional(v.unknown()),
  jwks_uri: v.optional(v.pipe(v.string(), v.maxLength(2000))),
  token_endpoint_auth_signing_alg: v.optional(v.string()),
});

/** The metadata we keep for a client, DCR-registered or fetched from its CIMD URL. */
export interface ClientMetadata {
  readonly redirect_uris: readonly string[];
  readonly client_name?: string;
  readonly client_uri?: string;
  readonly token_endpoint_auth_method: ClientAuthMethod;
  readonly grant_types: readonly GrantType[];
  readonly response_types: readonly ["code"];
  readonly scope?: string;
  readonly software_id?: string;
  readonly software_version?: string;
  /** private_key_jwt only: the client's public keys, inline or by URL (RFC 7591 §2: never both). */
  readonly jwks?: JSONWebKeySet;
  readonly jwks_uri?: string;
  readonly token_endpoint_auth_signing_alg?: string;
}

export interface ParseOptions {
  /**
   * What an omitted token_endpoint_auth_method means: RFC 7591 §2 says client_secret_basic for DCR;
   * a CIMD document has no secret to share, so there it means none.
   */
  readonly defaultAuthMethod: ClientAuthMethod;
  /** Dev mode: a jwks_uri may be http on a loopback host (a test server on 127.0.0.1). */
  readonly devMode?: boolean;
}

/** RFC 7523 §2.2 / RFC 7591 §2: the key material a private_key_jwt client registers; undefined for others. */
function assertionKeys(m: { jwks?: unknown; jwks_uri?: string; token_endpoint_auth_signing_alg?: string }, devMode: boolean): Pick<ClientMetadata, "jwks" | "jwks_uri" | "token_endpoint_auth_signing_alg"> {
  if (m.jwks !== undefined && m.jwks_uri !== undefined) throw new InvalidClientMetadata("Give jwks or jwks_uri, not both (RFC 7591 §2).");
  if (m.jwks === undefined && m.jwks_uri === undefined) throw new InvalidClientMetadata("token_endpoint_auth_method private_key_jwt needs the client's public keys: jwks or jwks_uri.");
  const alg = m.token_endpoint_auth_signing_alg;
  if (alg !== undefined && !(ASSERTION_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new InvalidClientMetadata(`token_endpoint_auth_signing_alg "${alg}" is not accepted; use one of ${ASSERTION_ALGORITHMS.join(", ")}.`);
  }
  if (m.jwks !== undefined) {
    const problem = publicJwksProblem(m.jwks);
    if (problem) throw new InvalidClientMetadata(`jwks ${problem}.`);
  } else {
    const problem = jwksUriProblem(m.jwks_uri!, devMode);
    if (problem) throw new InvalidClientMetadata(`jwks_uri ${problem}.`);
  }
  return {
    ...(m.jwks !== undefined ? { jwks: m.jwks as JSONWebKeySet } : { jwks_uri: m.jwks_uri! }),
    ...(alg !== undefined ? { token_endpoint_auth_signing_alg: alg } : {}),
  };
}

/** Validate client metadata; throws InvalidRedirectUri / InvalidClientMetadata naming the first problem. */
export function parseClientMetadata(raw: unknown, options: ParseOptions): ClientMetadata {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new InvalidClientMetadata("The client metadata must be a JSON object.");
  const redirects = (raw as { redirect_uris?: unknown }).redirect_uris;
  if (Array.isArray(redirects)) {
    for (const uri of redirects) {
      const problem = typeof uri === "string" ? redirectUriProblem(uri) : "a redirect URI is not a string";
      if (problem) throw new InvalidRedirectUri(`redirect_uris: ${problem}.`);
    }
  }
  const parsed = v.safeParse(ClientMetadataSchema, raw);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const where = issue.path?.map((p) => String(p.key)).join(".") ?? "metadata";
    throw new InvalidClientMetadata(`${where}: ${issue.message}.`);
  }
  const m = parsed.output;

  const authMethod = m.token_endpoint_auth_method ?? options.defaultAuthMethod;
  if (!(CLIENT_AUTH_METHODS as readonly string[]).includes(authMethod)) {
    throw new InvalidClientMetadata(`token_endpoint_auth_method "${authMethod}" is not supported; use one of ${CLIENT_AUTH_METHODS.join(", ")}.`);
  }
  // RFC 7591 §2 defaults grant_types to ["authorization_code"]; MCP clients rely on refresh, and clients
  // that omit the member expect it, so an omitted list means both grants (docs/oauth.md).
  const grantTypes = m.grant_types ?? [...GRANT_TYPES];
  const badGrant = grantTypes.find((g) => !(GRANT_TYPES as readonly string[]).includes(g));
  if (badGrant !== undefined) throw new InvalidClientMetadata(`grant_types: "${badGrant}" is not supported; the gateway offers authorization_code and refresh_token.`);
  if (!grantTypes.includes("authorization_code")) throw new InvalidClientMetadata("grant_types must include authorization_code.");
  const responseTypes = m.response_types ?? ["code"];
  if (responseTypes.some((r) => r !== "code")) throw new InvalidClientMetadata('response_types: only "code" is supported.');
  if (m.scope !== undefined) {
    const scopes = m.scope.split(" ").filter(Boolean);
    if (scopes.some((s) => s !== MCP_SCOPE)) throw new InvalidClientMetadata(`scope: the gateway grants only "${MCP_SCOPE}".`);
  }

  const keys = authMethod === "private_key_jwt" ? assertionKeys(m, options.devMode ?? false) : {};

  return {
    redirect_uris: m.redirect_uris,
    ...(m.client_name !== undefined ? { client_name: m.client_name } : {}),
    ...(m.client_uri !== undefined ? { client_uri: m.client_uri } : {}),
    token_endpoint_auth_method: authMethod as ClientAuthMethod,
    grant_types: [...new Set(grantTypes)] as GrantType[],
    response_types: ["code"],
    ...(m.scope !== undefined ? { scope: MCP_SCOPE } : {}),
    ...(m.software_id !== undefined ? { software_id: m.software_id } : {}),
    ...(m.software_version !== undefined ? { software_version: m.software_version } : {}),
    ...keys,
  };
}
