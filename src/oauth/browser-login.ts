import type { AuthorizationServerOptions } from "../schemas/authorization-server.ts";
import type { BrowserLogin } from "./context.ts";
import { devLoginStrategy } from "./dev-login.ts";
import { htmlResponse, noticePage } from "./pages.ts";

// Which BrowserLogin strategy (context.ts) an authorization server uses: dev-login, or the team's IdP.

/** Federated OIDC login is configured but not part of this mcpgw version yet: say so, never half-work. */
const federatedUnavailable: BrowserLogin = {
  kind: "federated_oidc",
  unavailable: () => "Federated browser login (browserLogin.url pointing at an identity provider) is not available in this mcpgw version; use the /oauth/dev-login shortcut.",
  start: () => htmlResponse(noticePage("Sign-in is not available", "This gateway's identity provider login is not available in this mcpgw version."), 501),
  callback: () => htmlResponse(noticePage("Sign-in is not available", "This gateway's identity provider login is not available in this mcpgw version."), 501),
};

export function browserLoginFor(options: AuthorizationServerOptions): BrowserLogin {
  return options.login.kind === "local_dev" ? devLoginStrategy : federatedUnavailable;
}
