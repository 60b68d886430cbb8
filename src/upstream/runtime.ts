import * as o from "oauth4webapi";
import type { Logger } from "../log/logger.ts";
import type { Resolve } from "../oauth/ssrf.ts";
import { unbracket } from "../http/host.ts";
import type { Store } from "../store/repositories.ts";
import type { SealingKey } from "../store/sealed.ts";
import { discoverUpstream, requestOptions, scopesToRequest, type UpstreamAuthorization } from "./discovery.ts";
import { guardedFetch, type GuardedFetch } from "./guarded-fetch.ts";
import { isInvalidClient, providerError, upstreamClient, type UpstreamClient } from "./registration.ts";
import { connectionEndpoints, type UpstreamSpec } from "./spec.ts";
import { ticketKey } from "./ticket.ts";
import { ConnectionVault, type Connection } from "./vault.ts";

// The long-lived part of upstream OAuth, one per process (built by the composition root, shared by every
// config reload): the vault, discovery and registration caches, the connect flow's two halves, and
// refresh, single-flight per connection. What a config decides (the upstreams) is passed in per call.

const DISCOVERY_TTL_MS = 10 * 60_000;
const CONNECT_STATE_TTL_MS = 10 * 60_000;
const FETCH_TIMEOUT_MS = 10_000;
const SWEEP_INTERVAL_MS = 10 * 60_000;
/** Refresh this long before expiry (or at half the token's life when that is shorter). */
const REFRESH_AHEAD_MS = 60_000;

export interface UpstreamRuntimeOptions {
  readonly store: Store;
  readonly sealing: SealingKey;
  readonly dataKey: Uint8Array;
  readonly fetch: typeof fetch;
  readonly resolve: Resolve;
  readonly now: () => number;
  readonly mode: "dev" | "start";
  readonly log: Logger;
}

/** What the connect state keeps between the redirect and the callback (sealed in the store). */
export interface ConnectFlow {
  readonly verifier: string;
  readonly redirectUri: string;
  readonly clientId: string;
  readonly issuer: string;
  readonly resource: string;
  readonly scope: string;
  /** The subject the connection is stored under ("" for shared-oauth). */
  readonly subject: string;
  readonly connectedBy: string;
  /** The browser session's subject that started it (absent for a CLI-minted admin ticket). */
  readonly sessionSubject?: string;
  readonly returnTo?: string;
  readonly operationId?: string;
}

export class UpstreamFlowError extends Error {
  override name = "UpstreamFlowError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The outcome of a refresh: the new connection, or that the person must authorize again. */
export type RefreshResult = { readonly ok: true; readonly connection: Connection } | { readonly ok: false; readonly connection: Connection; readonly reason: string };

export class UpstreamRuntime {
  readonly vault: ConnectionVault;
  readonly ticketKey: Buffer;
  private readonly discovered = new Map<string, { readonly value: UpstreamAuthorization; readonly until: number }>();
  /** The latest upstream challenge per upstream id: its scope= and resource_metadata= (spec §D12, §F17). */
  private readonly challenges = new Map<string, { readonly scope?: string; readonly resourceMetadata?: string }>();
  private readonly refreshing = new Map<string, Promise<RefreshResult>>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: UpstreamRuntimeOptions) {
    this.vault = new ConnectionVault(options.store.upstream, options.sealing, options.now);
    this.ticketKey = ticketKey(options.dataKey);
  }

  get now(): () => number {
    return this.options.now;
  }

  /** The guarded fetch for one upstream: its configured hosts are trusted, every other host checked. */
  fetcherFor(spec: UpstreamSpec): GuardedFetch {
    const trusted = new Set([unbracket(new URL(spec.url).hostname)]);
    if (spec.options.protectedResourceMetadataUrl) trusted.add(unbracket(new URL(spec.options.protectedResourceMetadataUrl).hostname));
    return guardedFetch({ fetch: this.options.fetch, resolve: this.options.resolve, trustedHosts: trusted, allowPrivate: this.options.mode === "dev", timeoutMs: FETCH_TIMEOUT_MS });
  }

  async discover(spec: UpstreamSpec): Promise<UpstreamAuthorization> {
    const hit = this.discovered.get(spec.id);
    if (hit && hit.until > this.options.now()) return hit.value;
    const value = await discoverUpstream(spec, this.fetcherFor(spec), this.challenges.get(spec.id)?.resourceMetadata);
    this.discovered.set(spec.id, { value, until: this.options.now() + DISCOVERY_TTL_MS });
    return value;
  }

  async client(spec: UpstreamSpec, origin: string, basePath: string, discovered: UpstreamAuthorization): Promise<UpstreamClient> {
    const endpoints = connectionEndpoints(origin, basePath, spec.id);
    return upstreamClient(spec, discovered, {
      origin,
      redirectUri: endpoints.callback,
      clientMetadataUrl: endpoints.clientMetadata,
      repo: this.options.store.upstream,
      sealing: this.options.sealing,
      fetcher: this.fetcherFor(spec),
      now: this.options.now(),
    });
  }

  /** Remembers what an upstream's 401 asked for, for the next connect (never sent to the client). */
  noteChallenge(spec: UpstreamSpec, wwwAuthenticate: string | undefined): void {
    if (!wwwAuthenticate) return;
    const param = (name: string) => new RegExp(`${name}="([^"]*)"`, "i").exec(wwwAuthenticate)?.[1];
    const scope = param("scope");
    const resourceMetadata = param("resource_metadata");
    if (scope || resourceMetadata) this.challenges.set(spec.id, { ...(scope ? { scope } : {}), ...(resourceMetadata ? { resourceMetadata } : {}) });
  }

  /**
   * First half of the connect flow: discovery, registration, PKCE and state. Returns the upstream's
   * authorization URL to send the browser to.
   */
  async beginConnect(spec: UpstreamSpec, origin: string, basePath: string, who: Pick<ConnectFlow, "subject" | "connectedBy" | "sessionSubject" | "returnTo" | "operationId">): Promise<string> {
    const discovered = await this.discover(spec);
    const { client } = await this.client(spec, origin, basePath, discovered);
    const authorizationEndpoint = discovered.as.authorization_endpoint;
    if (!authorizationEndpoint) throw new UpstreamFlowError("upstream_metadata_incomplete", `${spec.displayName}'s authorization server metadata has no authorization_endpoint.`);
    const verifier = o.generateRandomCodeVerifier();
    const state = o.generateRandomState();
    const scopes = scopesToRequest(spec, this.challenges.get(spec.id)?.scope, discovered);
    const flow: ConnectFlow = {
      verifier,
      redirectUri: connectionEndpoints(origin, basePath, spec.id).callback,
      clientId: client.client_id,
      issuer: discovered.as.issuer,
      resource: discovered.resource,
      scope: scopes.join(spec.options.scopeDelimiter),
      ...who,
    };
    const stateHash = Bun.SHA256.hash(state, "base64url");
    const now = this.options.now();
    await this.options.store.upstream.insertConnectState({
      stateHash,
      subject: who.subject,
      upstreamId: spec.id,
      sealedFlow: await this.options.sealing.seal(JSON.stringify(flow), `connect-state\u0000${stateHash}`),
      createdAt: now,
      expiresAt: now + CONNECT_STATE_TTL_MS,
    });
    const url = new URL(authorizationEndpoint);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", client.client_id);
    url.searchParams.set("redirect_uri", flow.redirectUri);
    url.searchParams.set("state", state);
    url.searchParams.set("code_challenge", await o.calculatePKCECodeChallenge(verifier));
    url.searchParams.set("code_challenge_method", "S256");
    // RFC 8707: the token is for this upstream only.
    url.searchParams.set("resource", discovered.resource);
    if (flow.scope) url.searchParams.set("scope", flow.scope);
    // Spec §F17: offline_access needs prompt=consent at most servers, unless the operator said otherwise.
    const prompt = spec.options.prompt ?? (scopes.includes("offline_access") ? "consent" : undefined);
    if (prompt) url.searchParams.set("prompt", prompt);
    return url.href;
  }

  /** The connect state a callback names (single use), decrypted; undefined when unknown or expired. */
  async takeConnectState(state: string): Promise<ConnectFlow | undefined> {
    const stateHash = Bun.SHA256.hash(state, "base64url");
    const row = await this.options.store.upstream.takeConnectState(stateHash, this.options.now());
    if (!row) return undefined;
    return JSON.parse(await this.options.sealing.open(row.sealedFlow, `connect-state\u0000${stateHash}`)) as ConnectFlow;
  }

  /** Second half: check the authorization response, exchange the code, store the tokens sealed. */
  async completeConnect(spec: UpstreamSpec, origin: string, basePath: string, flow: ConnectFlow, state: string, params: URLSearchParams): Promise<Connection> {
    const discovered = await this.discover(spec);
    const { client, auth } = await this.client(spec, origin, basePath, discovered);
    if (client.client_id !== flow.clientId || discovered.as.issuer !== flow.issuer) {
      throw new UpstreamFlowError("upstream_client_changed", `The gateway's registration with ${spec.displayName} changed during the connect; start it again.`);
    }
    let tokens: o.TokenEndpointResponse;
    try {
      const callback = o.validateAuthResponse(discovered.as, client, params, state);
      const response = await o.authorizationCodeGrantRequest(discovered.as, client, auth, callback, flow.redirectUri, flow.verifier, {
        additionalParameters: { resource: flow.resource },
        ...requestOptions(spec, this.fetcherFor(spec)),
      });
      tokens = await o.processAuthorizationCodeResponse(discovered.as, client, response);
    } catch (err) {
      if (isInvalidClient(err)) await this.options.store.upstream.removeClient(spec.authProfileId);
      throw new UpstreamFlowError(err instanceof o.AuthorizationResponseError ? "upstream_authorization_denied" : "upstream_token_exchange_failed", `${spec.displayName} did not complete the connection: ${providerError(err)}.`);
    }
    const now = this.options.now();
    return this.vault.save({
      subject: flow.subject,
      upstreamId: spec.id,
      authProfileId: spec.authProfileId,
      status: "active",
      tokens: { accessToken: tokens.access_token, ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}), tokenType: tokens.token_type },
      scope: tokens.scope ?? (flow.scope || null),
      accessExpiresAt: typeof tokens.expires_in === "number" ? now + tokens.expires_in * 1000 : null,
      connectedBy: flow.connectedBy,
      createdAt: now,
      updatedAt: now,
    });
  }

  /** Whether the access token is expired or about to be (refresh first). */
  expiring(connection: Connection): boolean {
    if (connection.accessExpiresAt === null) return false;
    const ahead = Math.min(REFRESH_AHEAD_MS, (connection.accessExpiresAt - connection.updatedAt) / 2);
    return connection.accessExpiresAt - this.options.now() <= ahead;
  }

  /**
   * Refresh the connection's tokens (RFC 6749 §6, with RFC 8707 resource; a rotated refresh token
   * replaces the old one). Single-flight per connection: concurrent callers share one refresh, and other
   * instances of a fleet wait for it (store.upstream.exclusively), then take its tokens.
   */
  refresh(spec: UpstreamSpec, connection: Connection, origin: string, basePath: string): Promise<RefreshResult> {
    const key = `${connection.subject}\u0000${spec.id}`;
    let pending = this.refreshing.get(key);
    if (!pending) {
      // Across processes sharing a store (a fleet), the store makes it single-flight too.
      pending = this.options.store.upstream.exclusively(connection.subject, spec.id, () => this.doRefresh(spec, connection, origin, basePath)).finally(() => this.refreshing.delete(key));
      this.refreshing.set(key, pending);
    }
    return pending;
  }

  private async doRefresh(spec: UpstreamSpec, connection: Connection, origin: string, basePath: string): Promise<RefreshResult> {
    // Another request (or process) may have refreshed already: take the stored one when it is newer.
    this.vault.evict(connection.subject, spec.id);
    const current = (await this.vault.load(connection.subject, spec.id)) ?? connection;
    if (current.tokens && current.tokens.accessToken !== connection.tokens?.accessToken && !this.expiring(current)) return { ok: true, connection: current };
    const refreshToken = current.tokens?.refreshToken;
    if (!refreshToken) return { ok: false, connection: await this.vault.needsReconsent(current), reason: "no_refresh_token" };
    const discovered = await this.discover(spec);
    const { client, auth } = await this.client(spec, origin, basePath, discovered);
    let tokens: o.TokenEndpointResponse;
    try {
      const response = await o.refreshTokenGrantRequest(discovered.as, client, auth, refreshToken, {
        additionalParameters: { resource: discovered.resource },
        ...requestOptions(spec, this.fetcherFor(spec)),
      });
      tokens = await o.processRefreshTokenResponse(discovered.as, client, response);
    } catch (err) {
      if (err instanceof o.ResponseBodyError && (err.error === "invalid_grant" || err.error === "invalid_client")) {
        if (err.error === "invalid_client") await this.options.store.upstream.removeClient(spec.authProfileId);
        this.options.log.info("mcp_auth_upstream_refresh_refused", `${spec.displayName} refused the refresh token: ${providerError(err)}.`, { upstreamServerId: spec.id, authProfileId: spec.authProfileId, reasonCode: err.error });
        return { ok: false, connection: await this.vault.needsReconsent(current), reason: err.error };
      }
      throw new UpstreamFlowError("upstream_refresh_failed", `Refreshing the ${spec.displayName} token failed: ${providerError(err)}.`);
    }
    const now = this.options.now();
    const next = await this.vault.save({
      ...current,
      status: "active",
      tokens: { accessToken: tokens.access_token, refreshToken: tokens.refresh_token ?? refreshToken, tokenType: tokens.token_type },
      scope: tokens.scope ?? current.scope,
      accessExpiresAt: typeof tokens.expires_in === "number" ? now + tokens.expires_in * 1000 : null,
    });
    return { ok: true, connection: next };
  }

  /** A config (re)load: upstreams may have changed, so cached discovery and decrypted tokens go. */
  configLoaded(): void {
    this.discovered.clear();
    this.challenges.clear();
    this.vault.evictAll();
  }

  async sweep(): Promise<void> {
    try {
      await this.options.store.upstream.sweep(this.options.now());
    } catch (err) {
      this.options.log.warn("mcp_auth_upstream_sweep_failed", "Removing expired upstream connect states failed; will retry.", { errMessage: (err as Error).message });
    }
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
