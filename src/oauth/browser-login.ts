import type { AuthorizationServerOptions } from "../schemas/authorization-server.ts";
import type { BrowserLogin } from "./context.ts";
import { devLoginStrategy } from "./dev-login.ts";
import { federatedLogin, type FederatedLoginDeps } from "./federated-login.ts";

// Which BrowserLogin strategy (context.ts) an authorization server uses: dev-login, or the team's IdP.

/** dev-login, or sign-in through the IdP the options name (built once per config: its key cache with it). */
export function browserLoginFor(options: AuthorizationServerOptions, deps: FederatedLoginDeps): BrowserLogin {
  return options.login.kind === "local_dev" ? devLoginStrategy : federatedLogin(options, deps);
}
