import { auth0 } from "./auth0.ts";
import { clerk } from "./clerk.ts";
import { cognito } from "./cognito.ts";
import { entra } from "./entra.ts";
import { google } from "./google.ts";
import { keycloak } from "./keycloak.ts";
import { logto } from "./logto.ts";
import { okta } from "./okta.ts";
import { onelogin } from "./onelogin.ts";
import { ping } from "./ping.ts";
import { workos } from "./workos.ts";
import type { IdpWrapper } from "./common.ts";

/** The 11 IdP wrapper policy types (spec §2.6), each composing mcp-oauth-inbound with its IdP's URLs. */
export const IDP_WRAPPERS: readonly IdpWrapper[] = [auth0, clerk, cognito, entra, google, keycloak, logto, okta, onelogin, ping, workos];
