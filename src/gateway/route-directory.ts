import type { GatewayConfig, RouteConfig } from "../config/types.ts";
import { protectedResourceMetadataUrl } from "../oauth/metadata.ts";
import { routeResource } from "../oauth/resource.ts";

// What a newcomer needs to know about each route in the first five minutes: the URL an MCP client
// connects to, and how a person signs in there. Start-up says it in the route_registered lines
// (src/cli/serve.ts), and GET / shows it (src/gateway/root-page.ts). Pure: config and origin in, values out.

/**
 * How sign-in happens on a route: `dev_login` (the browser goes to /oauth/dev-login, then the consent
 * page), `dev_login_unavailable` (dev-login under `mcpgw start` answers 403), `identity_provider` (the
 * team's IdP, then the consent page), `none` (no MCP OAuth policy: no sign-in, no token).
 */
export type SignIn = "dev_login" | "dev_login_unavailable" | "identity_provider" | "none";

export interface RouteEntry {
  readonly path: string;
  readonly methods: readonly string[];
  readonly operationId: string;
  readonly summary?: string;
  /** The URL an MCP client connects to (Streamable HTTP). */
  readonly url: string;
  readonly signIn: SignIn;
  /** The RFC 9728 protected resource metadata a client discovers sign-in from (OAuth routes). */
  readonly protectedResourceMetadata?: string;
}

/** The origin clients reach: `mcpgw.publicOrigin` when set, else the one the gateway listens on or was asked on. */
export function clientOrigin(config: GatewayConfig, fallback: string): string {
  return config.settings.publicOrigin ?? fallback;
}

export function signInOf(config: GatewayConfig, route: RouteConfig, mode: "dev" | "start"): SignIn {
  const as = config.authorizationServer;
  if (!as || !as.routes.some((r) => r.operationId === route.operationId)) return "none";
  if (as.options.login.kind === "federated_oidc") return "identity_provider";
  return mode === "dev" ? "dev_login" : "dev_login_unavailable";
}

export function routeDirectory(config: GatewayConfig, origin: string, mode: "dev" | "start"): RouteEntry[] {
  return config.routes.map((route) => {
    const signIn = signInOf(config, route, mode);
    return {
      path: route.path,
      methods: route.methods,
      operationId: route.operationId,
      ...(route.summary ? { summary: route.summary } : {}),
      url: routeResource(origin, route),
      signIn,
      ...(signIn === "none" ? {} : { protectedResourceMetadata: protectedResourceMetadataUrl(origin, route) }),
    };
  });
}

/** One sentence on how a person signs in on a route, for the log and the GET / page. */
export function signInSentence(signIn: SignIn, config: GatewayConfig, origin: string): string {
  const devLogin = `${origin}${config.settings.basePath}/oauth/dev-login`;
  const users = Object.keys(config.settings.devLogin.users);
  const who = users.length > 0 ? `offers the identities of mcpgw.devLogin.users (${users.join(", ")})` : "signs you in as dev-browser-user";
  switch (signIn) {
    case "dev_login":
      return `Sign-in: the MCP client opens the gateway's authorization page in your browser; dev-login (${devLogin}) ${who}, then you approve the client on the consent page.`;
    case "dev_login_unavailable":
      return "Sign-in: none possible: /oauth/dev-login answers 403 under `mcpgw start`; use `mcpgw dev`, or an identity provider in browserLogin.";
    case "identity_provider":
      return "Sign-in: the MCP client opens the gateway's authorization page in your browser; you sign in at the identity provider of the OAuth policy's browserLogin, then you approve the client on the consent page.";
    case "none":
      return "No sign-in: the route has no MCP OAuth policy, so anyone who can reach it can call it.";
  }
}
