import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";
import Provider, { type Configuration, type KoaContextWithOIDC } from "oidc-provider";

// The team's identity provider in tests: node-oidc-provider (a certified OpenID Provider), on a
// loopback port, optionally under a path prefix with Keycloak- or Okta-shaped endpoint paths. Its
// sign-in page is ours (a plain form: user name, "Sign in", "Cancel"), so the HTTP "browser" and
// Chromium drive it alike; consent at the IdP is granted automatically (only the gateway's consent
// page matters here). ID tokens carry the account's claims (roles, groups…) directly.

export interface IdpAccount {
  readonly [claim: string]: unknown;
}

export interface OidcIdpOptions {
  /** Where the provider lives on its origin, e.g. "/realms/team" (Keycloak) or "/oauth2/default" (Okta). */
  readonly mountPath?: string;
  /** oidc-provider route overrides, relative to the mount path (e.g. { authorization: "/protocol/openid-connect/auth" }). */
  readonly routes?: Record<string, string>;
  /** The issuer, when it is not the origin plus the mount path (Okta's org server has its endpoints under /oauth2/v1). */
  readonly issuerPath?: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: readonly string[];
  /** Subject → claims. */
  readonly accounts: Record<string, IdpAccount>;
  readonly pkceRequired?: boolean;
  /** Serve https with this certificate (for wrappers whose URLs are always https). */
  readonly tls?: { readonly key: string; readonly cert: string };
  /** The port to listen on (0: any). */
  readonly port?: number;
}

export interface OidcIdp {
  readonly origin: string;
  readonly issuer: string;
  /** How many times the JWKS was fetched. */
  readonly jwksFetches: number;
  stop(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(new URLSearchParams(Buffer.concat(chunks).toString("utf8"))));
    req.on("error", reject);
  });
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function signInPage(action: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Team IdP sign-in</title></head><body>
<h1>Team IdP</h1>
<form method="post" action="${escape(action)}">
<label>User name <input name="login" autofocus></label>
<button type="submit" name="decision" value="sign-in">Sign in</button>
<button type="submit" name="decision" value="cancel">Cancel</button>
</form></body></html>`;
}

export async function startOidcIdp(options: OidcIdpOptions): Promise<OidcIdp> {
  const mountPath = options.mountPath ?? "";
  const scheme = options.tls ? "https" : "http";
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: "team-idp-1", alg: "RS256", use: "sig" };

  let server: Server;
  let jwksFetches = 0;
  let provider: Provider | undefined;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, "http://idp");
    if (!provider || !url.pathname.startsWith(`${mountPath}/`)) {
      res.statusCode = 404;
      res.end();
      return;
    }
    const inner = url.pathname.slice(mountPath.length);
    const interaction = /^\/interaction\/([\w-]+)$/.exec(inner);
    if (interaction) {
      void (async () => {
        if (req.method === "GET") {
          await provider!.interactionDetails(req, res);
          res.setHeader("content-type", "text/html; charset=utf-8");
          res.end(signInPage(`${mountPath}/interaction/${interaction[1]}`));
          return;
        }
        const form = await readBody(req);
        const login = form.get("login") ?? "";
        const result =
          form.get("decision") === "cancel"
            ? { error: "access_denied", error_description: "The person cancelled the sign-in." }
            : Object.hasOwn(options.accounts, login)
              ? { login: { accountId: login } }
              : { error: "access_denied", error_description: "Unknown user." };
        await provider!.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
      })().catch((err: Error) => {
        res.statusCode = 500;
        res.end(err.message);
      });
      return;
    }
    if (req.method === "GET" && inner === (options.routes?.jwks ?? "/jwks")) jwksFetches++;
    // oidc-provider works out its mount path from originalUrl (lib/helpers/oidc_context.js).
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = req.url;
    req.url = inner + url.search;
    provider.callback()(req, res);
  };
  server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handler) : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const origin = `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${origin}${options.issuerPath ?? mountPath}`;

  provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: [...options.redirectUris],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    jwks: { keys: [jwk] },
    ...(options.routes ? { routes: options.routes } : {}),
    // The account's claims go into the ID token (not only to userinfo), as most IdPs configure them.
    conformIdTokenClaims: false,
    claims: { openid: ["sub"], email: ["email"], profile: ["name", "roles", "groups", "realm_access"] },
    findAccount: async (_ctx, id) => {
      const claims = options.accounts[id];
      return claims ? { accountId: id, claims: async () => ({ sub: id, ...claims }) } : undefined;
    },
    interactions: { url: (_ctx, interaction) => `${mountPath}/interaction/${interaction.uid}` },
    // Consent at the IdP is not under test: every requested scope is granted.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope(String(ctx.oidc.params!.scope));
      await grant.save();
      return grant;
    },
    pkce: { required: () => options.pkceRequired ?? false },
    features: { devInteractions: { enabled: false } },
    cookies: { keys: ["test-idp-cookie-key"] },
  } satisfies Configuration);
  // A failure inside the provider would otherwise show only as a 500 page in the browser.
  provider.on("server_error", (_ctx: unknown, err: Error) => console.error("oidc-provider server_error", err));

  return {
    origin,
    issuer,
    get jwksFetches() {
      return jwksFetches;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A free loopback port (to know the gateway's redirect URI before the IdP registers it). */
export async function freePort(): Promise<number> {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}
