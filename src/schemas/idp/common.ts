import * as v from "valibot";
import type { AuthorizationServerOptions } from "../authorization-server.ts";
import { GatewayTtls, IdJag, isSecureOrLoopbackUrl, McpOAuthInboundOptionsDocs, PositiveInt } from "../mcp-oauth-inbound.ts";
import type { OptionDocs } from "../option-docs.ts";

// What every IdP wrapper policy shares (spec §2.6, federation checklist §A.2): the options each has, and
// the one function that turns a wrapper's derived IdP URLs into the authorization server the generic
// mcp-oauth-inbound policy would describe. A wrapper file adds its own inputs and the URL derivation.

const NonEmpty = v.pipe(v.string(), v.minLength(1, "must not be empty"));

const overrides = {
  remoteTimeoutMs: v.optional(PositiveInt, 10_000),
  stateTtlSeconds: v.optional(PositiveInt, 900),
  sessionTtlSeconds: v.optional(PositiveInt, 28_800),
};

/** The options of every wrapper; `withPkce: false` for Clerk and OneLogin, whose overrides have no pkce. */
export function wrapperEntries(withPkce = true) {
  return {
    clientId: NonEmpty,
    clientSecret: NonEmpty,
    scope: v.optional(v.string(), "openid profile email"),
    gateway: GatewayTtls,
    idJag: v.optional(IdJag),
    browserLoginOverrides: v.optional(
      withPkce ? v.strictObject({ ...overrides, pkce: v.optional(v.picklist(["S256", "none"]), "none") }) : v.strictObject(overrides),
      {},
    ),
  };
}

const CommonOptions = v.object(wrapperEntries());
export type WrapperCommonOptions = Omit<v.InferOutput<typeof CommonOptions>, "browserLoginOverrides"> & {
  readonly browserLoginOverrides: Omit<v.InferOutput<typeof CommonOptions>["browserLoginOverrides"], "pkce"> & { readonly pkce?: "S256" | "none" };
};

/** The IdP a wrapper points at, derived from its inputs. */
export interface DerivedIdp {
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly authorizationUrl: string;
  readonly tokenUrl: string;
  /** Sent as `audience=` on the authorization request (Auth0). */
  readonly audience?: string;
  readonly issuerAliases?: readonly string[];
  readonly tokenEndpointAuthMethod?: "client_secret_basic" | "client_secret_post";
}

/** The generic policy's authorization server for a wrapper's IdP: what the wrapper "composes". */
export function federatedServer(options: WrapperCommonOptions, idp: DerivedIdp): AuthorizationServerOptions {
  const o = options.browserLoginOverrides;
  return {
    login: {
      kind: "federated_oidc",
      authorizationUrl: idp.authorizationUrl,
      tokenUrl: idp.tokenUrl,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      scope: options.scope,
      ...(idp.audience !== undefined ? { audience: idp.audience } : {}),
      pkce: o.pkce ?? "none",
      remoteTimeoutMs: o.remoteTimeoutMs,
      tokenEndpointAuthMethod: idp.tokenEndpointAuthMethod ?? "client_secret_basic",
    },
    oidc: { issuer: idp.issuer, jwksUrl: idp.jwksUrl, ...(idp.issuerAliases ? { issuerAliases: idp.issuerAliases } : {}) },
    stateTtlSeconds: o.stateTtlSeconds,
    sessionTtlSeconds: o.sessionTtlSeconds,
    accessTokenTtlSeconds: options.gateway.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: options.gateway.refreshTokenTtlSeconds,
    cimdEnabled: options.gateway.cimdEnabled,
  };
}

/** A wrapper policy type: what the catalog registers. */
export interface IdpWrapper<S extends v.GenericSchema = v.GenericSchema> {
  readonly policyType: string;
  readonly exportName: string;
  /** The IdP's name in messages and docs ("Auth0"). */
  readonly idpName: string;
  readonly optionsSchema: S;
  readonly derive: (options: v.InferOutput<S>) => AuthorizationServerOptions;
  /** What the options mean, for docs/reference/policies.md (wrapperDocs). */
  readonly docs: OptionDocs;
}

export function idpWrapper<S extends v.GenericSchema>(w: IdpWrapper<S>): IdpWrapper {
  return w as unknown as IdpWrapper;
}

/** How a wrapper page introduces itself: the IdP, its page under docs/idp/, the inputs URLs come from. */
export interface WrapperDocsInput {
  readonly idpName: string;
  readonly page: string;
  /** "`auth0Domain`", "`awsRegion`, `userPoolId` and `userPoolDomain`"; absent when the URLs are fixed (Google). */
  readonly derivedFrom?: string;
  /** False for Clerk and OneLogin, whose browserLoginOverrides have no pkce. */
  readonly withPkce?: boolean;
  /** A sentence the reader must see before using the wrapper. */
  readonly caveat?: string;
}

/**
 * The descriptions of a wrapper's options: those every wrapper has, in the IdP's name, then `own` (its
 * inputs, and a clientId with an IdP-specific format). The generic policy's words where they are the same.
 */
export function wrapperDocs(w: WrapperDocsInput, own: Readonly<Record<string, string>>): OptionDocs {
  const generic = McpOAuthInboundOptionsDocs.options;
  return {
    summary: `Sign-in through ${w.idpName}: the generic [\`mcp-oauth-inbound\`](#mcp-oauth-inbound) with ${w.idpName}'s ${w.derivedFrom === undefined ? "fixed issuer, signing keys, authorization and token endpoints" : `issuer, signing keys, authorization and token endpoints, derived from ${w.derivedFrom} when the project loads`}; consent, the gateway's tokens and the checks of each request are the same. The app to create at ${w.idpName}, the derived URLs and the redirect URI to register: [idp/${w.page}](../idp/${w.page}).${w.caveat ? ` ${w.caveat}` : ""}`,
    options: {
      clientId: `The client id of the gateway's app at ${w.idpName}; also the audience its ID tokens must carry.`,
      clientSecret: `The app's client secret; give it with \`$env(…)\`.`,
      scope: generic["browserLogin.scope"]!.replace(" Not used with dev-login.", ""),
      gateway: generic.gateway!,
      "gateway.accessTokenTtlSeconds": generic["gateway.accessTokenTtlSeconds"]!,
      "gateway.refreshTokenTtlSeconds": generic["gateway.refreshTokenTtlSeconds"]!,
      "gateway.cimdEnabled": generic["gateway.cimdEnabled"]!,
      idJag: generic.idJag!,
      "idJag.enabled": generic["idJag.enabled"]!,
      browserLoginOverrides: "What the generic policy sets under `browserLogin` besides the URLs and credentials.",
      "browserLoginOverrides.remoteTimeoutMs": `Timeout of each call the gateway makes to ${w.idpName}, in milliseconds: the code exchange (past it the sign-in ends with \`idp_timeout\`) and fetching the signing keys (\`idp_keys_unavailable\`).`,
      "browserLoginOverrides.stateTtlSeconds": generic["browserLogin.stateTtlSeconds"]!,
      "browserLoginOverrides.sessionTtlSeconds": generic["browserLogin.sessionTtlSeconds"]!,
      ...(w.withPkce === false
        ? {}
        : { "browserLoginOverrides.pkce": `\`S256\` sends a PKCE challenge to ${w.idpName} (the verifier is derived from the state under the data-dir key, never stored); \`none\` sends none. Use \`S256\` when the app allows it.` }),
      ...own,
    },
  };
}

// ---- input checks the wrappers share ----------------------------------------------------------------

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string) => UUID.test(s);

/** A DNS host name with at least one dot, optionally with a port; no scheme, path or whitespace. */
const HOST = /^(?=.{1,253}(:\d{1,5})?$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+(:\d{1,5})?$/i;
export const isBareHost = (s: string) => HOST.test(s);

export const hasScheme = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/** One rule of an input check: the value passes, or the message says what to change. */
export type Rule = readonly [ok: (value: string) => boolean, message: string];

/**
 * Checks a string against `rules` in order and reports only the first that fails: one mistake, one
 * message (a value with a scheme is told to drop it, not also that it is not a host name).
 */
export function firstFailing(rules: readonly Rule[]) {
  return v.pipe(
    v.string(),
    v.rawCheck<string>(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const failed = rules.find(([ok]) => !ok(dataset.value));
      if (failed) addIssue({ message: failed[1] });
    }),
  );
}

/** A bare-host option (`auth0Domain`, `oktaDomain`…), in the wrapper's words. */
export function bareHost(idpName: string, what: string, example: string) {
  return firstFailing([
    [(s) => !hasScheme(s), `Invalid ${idpName} ${what}: drop the https:// prefix and give the host only, e.g. ${example}`],
    [(s) => !s.includes("/"), `Invalid ${idpName} ${what}: give the host only, without a path or trailing slash, e.g. ${example}`],
    [isBareHost, `Invalid ${idpName} ${what}: expected a host name with a dot, such as ${example}`],
  ]);
}

/** An origin option (`frontendApiUrl`, `logtoEndpoint`): https, no path, query, fragment or user info. */
export function originOnly(idpName: string, what: string, example: string, extra: readonly Rule[] = []) {
  const url = (s: string) => {
    try {
      return new URL(s);
    } catch {
      return undefined;
    }
  };
  return firstFailing([
    [(s) => url(s) !== undefined && hasScheme(s), `Invalid ${idpName} ${what}: expected an absolute URL such as ${example}`],
    [(s) => isSecureOrLoopbackUrl(s), `Invalid ${idpName} ${what}: use https (http only on 127.0.0.1 or localhost), e.g. ${example}`],
    [(s) => url(s)!.username === "" && url(s)!.password === "", `Invalid ${idpName} ${what}: remove the user name and password from the URL`],
    [(s) => url(s)!.search === "" && url(s)!.hash === "" && !/[?#]/.test(s), `Invalid ${idpName} ${what}: remove the query string and fragment; give the origin only, e.g. ${example}`],
    ...extra,
    [(s) => url(s)!.pathname === "/", `Invalid ${idpName} ${what}: give the origin only, without a path, e.g. ${example}`],
  ]);
}

/** The origin of a URL option that passed originOnly: no trailing slash. */
export const originOf = (s: string) => new URL(s).origin;
