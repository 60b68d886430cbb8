import type { AuthorizationServerOptions, BrowserLoginKind } from "../schemas/authorization-server.ts";
import type { OAuthRequest, OAuthServer } from "./context.ts";
import { devLoginStrategy } from "./dev-login.ts";
import { federatedLogin, type FederatedLoginDeps } from "./federated-login.ts";

/**
 * How a person signs in in the browser, between the authorization request and the consent page. The
 * authorization server asks the strategy to start a sign-in for a pending request, and routes
 * GET {base}/oauth/callback to it (where an IdP sends the browser back). dev-login is one strategy;
 * federated OIDC (the team's IdP) is another.
 */
export interface BrowserLogin {
  readonly kind: BrowserLoginKind;
  /** Why no sign-in can start, or undefined when it can (checked before an authorization request is stored). */
  unavailable(): string | undefined;
  /** Sends the browser to sign in for the pending authorization request `requestId`. */
  start(server: OAuthServer, req: OAuthRequest, requestId: string): Response | Promise<Response>;
  /** GET {base}/oauth/callback. */
  callback(server: OAuthServer, req: OAuthRequest): Response | Promise<Response>;
}

/** dev-login, or sign-in through the IdP the options name (built once per config: its key cache with it). */
export function browserLoginFor(options: AuthorizationServerOptions, deps: FederatedLoginDeps): BrowserLogin {
  return options.login.kind === "local_dev" ? devLoginStrategy : federatedLogin(options, deps);
}
