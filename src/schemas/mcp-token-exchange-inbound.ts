import * as v from "valibot";

// Options of Zuplo's mcp-token-exchange-inbound (spec §C8): one policy per OAuth-protected upstream,
// holding each person's own connection to it (user-oauth) or one gateway-wide connection made by an
// administrator (shared-oauth). Runtime: src/policies/mcp-token-exchange-inbound.ts.

const NonEmpty = v.pipe(v.string(), v.minLength(1, "must not be empty"));

const AuthMode = v.pipe(
  v.string(),
  v.check((mode) => mode !== "id-jag", 'authMode "id-jag" (Zuplo 7.x Cross App Access) is not supported by mcpgw; use "user-oauth" or "shared-oauth"'),
  v.picklist(["user-oauth", "shared-oauth"], 'authMode must be "user-oauth" (each person connects) or "shared-oauth" (an administrator connects once)'),
);

const ManualRegistration = v.strictObject({
  mode: v.literal("manual"),
  clientId: NonEmpty,
  clientSecret: v.optional(NonEmpty),
  tokenEndpointAuthMethod: v.optional(v.picklist(["client_secret_basic", "client_secret_post", "none"])),
});

const ClientRegistration = v.variant("mode", [v.strictObject({ mode: v.literal("auto") }), ManualRegistration], 'clientRegistration.mode must be "auto" or "manual"');

export const McpTokenExchangeInboundOptionsSchema = v.pipe(
  v.strictObject({
    /** The upstream's id: connections are keyed by it. Default: the policy name minus `mcp-token-exchange-`. */
    id: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "must be 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit"))),
    displayName: NonEmpty,
    summary: v.optional(v.string()),
    authMode: AuthMode,
    /** Empty means unset: the upstream's challenge scope, then its PRM's scopes_supported (spec §F17). */
    scopes: v.optional(v.array(NonEmpty), []),
    protectedResourceMetadataUrl: v.optional(v.pipe(v.string(), v.url("must be an absolute URL"))),
    scopeDelimiter: v.optional(v.string(), " "),
    prompt: v.optional(v.union([v.picklist(["none", "login", "consent", "select_account"]), v.literal(false)], 'prompt must be "none", "login", "consent", "select_account" or false')),
    clientRegistration: v.optional(ClientRegistration, { mode: "auto" }),
    /** mcpgw extension (shared-oauth): subjects who may connect the shared account from the consent page. */
    administrators: v.optional(v.array(NonEmpty), []),
  }),
  v.check(
    (o) => o.clientRegistration.mode !== "manual" || o.clientRegistration.tokenEndpointAuthMethod === "none" || o.clientRegistration.tokenEndpointAuthMethod === undefined || o.clientRegistration.clientSecret !== undefined,
    "clientRegistration.clientSecret is required with a client_secret_basic or client_secret_post tokenEndpointAuthMethod",
  ),
);

export type McpTokenExchangeInboundOptions = v.InferOutput<typeof McpTokenExchangeInboundOptionsSchema>;

/** `linear:user-oauth`: the analytics dimension and the key of the gateway's client registration. */
export function authProfileId(id: string, authMode: string): string {
  return `${id}:${authMode}`;
}
