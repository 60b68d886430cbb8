import * as v from "valibot";
import type { OptionDocs } from "./option-docs.ts";

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

export const McpTokenExchangeInboundOptionsDocs: OptionDocs = {
  summary:
    "Gives the upstream the signed-in person's own OAuth token for it (`user-oauth`), or one connection shared by everybody (`shared-oauth`), never the MCP client's token. The gateway finds the upstream's authorization server (RFC 9728, RFC 8414), registers itself there, runs the connect flow (PKCE, RFC 8707 `resource`) when a person follows Connect on the consent page or the link of a `-32042` answer, keeps the tokens encrypted under the data-dir key, refreshes them shortly before they expire, and refreshes and retries once when the upstream answers 401. It must come after the MCP OAuth policy (`MCPGW_CONFIG_TOKEN_EXCHANGE_WITHOUT_OAUTH`), at most one per route. See [upstream-oauth.md](../upstream-oauth.md).",
  options: {
    id: "The upstream's id: connections and the gateway's registration are stored under it, and it is in the connect URLs (`{basePath}/auth/connections/{id}/…`) and `mcpgw connections --upstream`. Default: the policy name without the `mcp-token-exchange-` prefix. Changing it leaves everyone's connections behind under the old id.",
    displayName: "The upstream's name as people read it: on the consent page, in the `-32042` messages (`Connect {displayName} to continue.`) and in the client name `MCP Gateway: {displayName}` the gateway registers with.",
    summary: "A line shown under the name on the consent page.",
    authMode:
      "`user-oauth`: each person connects their own account, from the consent page or the link in a `-32042` answer. `shared-oauth`: one connection for everybody, made by an administrator (see `administrators`, or `mcpgw connections connect {id}`); until then people get `admin_connect_required`.",
    scopes: "Scopes to ask the upstream for. Empty: the `scope` of the upstream's latest 401 challenge, else its protected resource metadata's `scopes_supported`, else none.",
    protectedResourceMetadataUrl:
      "Where the upstream's protected resource metadata (RFC 9728) is. When given, it is the only place tried, and a failure there stops the connect. Without it: the `resource_metadata` of the upstream's latest 401 challenge, then `/.well-known/oauth-protected-resource` inserted before the upstream URL's path, then at its root; an upstream with none is taken to be its own authorization server.",
    scopeDelimiter: "What joins the scopes in the `scope` parameter (some servers want `,`).",
    prompt:
      "The `prompt` sent to the upstream's authorization endpoint; `false` sends none. Left out: `consent` when `offline_access` is among the scopes (most servers issue a refresh token only then), else none.",
    clientRegistration: "How the gateway becomes a client of the upstream's authorization server.",
    "clientRegistration.mode":
      "`auto`: the gateway's own client ID metadata document (`{origin}/.well-known/oauth-client/{id}`) when the server supports those and the gateway's origin is https; else RFC 7591 dynamic registration, kept in the store and done again when the issuer or redirect URI changes or the server answers `invalid_client`. `manual`: a client you registered there, with the redirect URI `{origin}{basePath}/auth/connections/{id}/callback`.",
    "clientRegistration.clientId": "The client id you registered at the upstream's authorization server.",
    "clientRegistration.clientSecret": "Its client secret; give it with `$env(…)`. Required with `client_secret_basic` or `client_secret_post`.",
    "clientRegistration.tokenEndpointAuthMethod": "How the gateway authenticates at the upstream's token endpoint. Default: `client_secret_basic` when `clientSecret` is given, else `none` (a public client; PKCE is always used).",
    administrators:
      "An mcpgw extension, for `shared-oauth`: the subjects (the `sub` people sign in to the gateway with) who may connect the shared account from the consent page. Anyone else gets `admin_connect_required`. Empty: only `mcpgw connections connect {id}` can connect it.",
  },
};

export type McpTokenExchangeInboundOptions = v.InferOutput<typeof McpTokenExchangeInboundOptionsSchema>;

/** `linear:user-oauth`: the analytics dimension and the key of the gateway's client registration. */
export function authProfileId(id: string, authMode: string): string {
  return `${id}:${authMode}`;
}
