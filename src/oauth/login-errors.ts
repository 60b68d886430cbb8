import { errorPage, htmlResponse } from "./pages.ts";

// Why a federated sign-in stopped. Each reason has a stable code that the error page shows, the
// mcp_auth_browser_login_failed event carries as reasonCode, and docs/idp/README.md#error-codes explains.
// The page says what the person can do; the details for the operator go to the log.

export type LoginErrorCode =
  | "login_state_missing"
  | "login_state_unknown"
  | "login_browser_mismatch"
  | "login_issuer_mismatch"
  | "idp_error"
  | "idp_timeout"
  | "idp_unreachable"
  | "idp_token_error"
  | "idp_response_invalid"
  | "idp_keys_unavailable"
  | "id_token_missing"
  | "id_token_malformed"
  | "id_token_algorithm_not_allowed"
  | "id_token_signature_invalid"
  | "id_token_key_unknown"
  | "id_token_issuer_mismatch"
  | "id_token_audience_mismatch"
  | "id_token_expired"
  | "id_token_not_yet_valid"
  | "id_token_nonce_mismatch"
  | "id_token_claims_invalid"
  | "login_failed";

const START_AGAIN = "Start again from your MCP client.";
const TELL_OPERATOR = "Try again; if it keeps happening, tell the people who run this gateway (quote the details below).";

/** What the person is told, per code (the operator's detail is the error's message, logged). */
const PAGE_TEXT: Record<LoginErrorCode, string> = {
  login_state_missing: `The identity provider sent your browser back without the sign-in's state. ${START_AGAIN}`,
  login_state_unknown: `This sign-in has expired or was already completed. ${START_AGAIN}`,
  login_browser_mismatch: `This sign-in was started in another browser, or this browser dropped its sign-in cookie. ${START_AGAIN}`,
  login_issuer_mismatch: `The answer did not come from this gateway's identity provider. ${START_AGAIN}`,
  idp_error: "The identity provider did not sign you in.",
  idp_timeout: `The identity provider did not answer in time. ${TELL_OPERATOR}`,
  idp_unreachable: `The gateway could not reach the identity provider. ${TELL_OPERATOR}`,
  idp_token_error: `The identity provider refused to complete the sign-in. ${TELL_OPERATOR}`,
  idp_response_invalid: `The identity provider's answer could not be understood. ${TELL_OPERATOR}`,
  idp_keys_unavailable: `The gateway could not get the identity provider's signing keys. ${TELL_OPERATOR}`,
  id_token_missing: `The identity provider did not say who you are (no ID token). ${TELL_OPERATOR}`,
  id_token_malformed: `The identity provider's proof of your identity could not be read. ${TELL_OPERATOR}`,
  id_token_algorithm_not_allowed: `The identity provider's proof of your identity was not signed acceptably. ${TELL_OPERATOR}`,
  id_token_signature_invalid: `The identity provider's proof of your identity has an invalid signature. ${TELL_OPERATOR}`,
  id_token_key_unknown: `The identity provider's proof of your identity was signed with a key it does not publish. ${TELL_OPERATOR}`,
  id_token_issuer_mismatch: `The proof of your identity was issued by another identity provider than this gateway trusts. ${TELL_OPERATOR}`,
  id_token_audience_mismatch: `The proof of your identity was issued for another application. ${TELL_OPERATOR}`,
  id_token_expired: `The proof of your identity has expired; check that this computer's and the gateway's clocks are right. ${TELL_OPERATOR}`,
  id_token_not_yet_valid: `The proof of your identity is not valid yet; check that the gateway's clock is right. ${TELL_OPERATOR}`,
  id_token_nonce_mismatch: `The proof of your identity does not belong to this sign-in. ${START_AGAIN}`,
  id_token_claims_invalid: `The proof of your identity lacks required information. ${TELL_OPERATOR}`,
  login_failed: `The sign-in failed on the gateway. ${TELL_OPERATOR}`,
};

const STATUS: Partial<Record<LoginErrorCode, number>> = {
  login_state_missing: 400,
  login_state_unknown: 400,
  login_browser_mismatch: 400,
  login_issuer_mismatch: 400,
  id_token_nonce_mismatch: 400,
  idp_timeout: 504,
  login_failed: 500,
};

/** Friendly words for the IdP's `error` values (OAuth 2.0 §4.1.2.1, OIDC Core §3.1.2.6). */
const IDP_ERRORS: Record<string, string> = {
  access_denied: "You declined, or the identity provider denied the sign-in.",
  login_required: "The identity provider needs you to sign in again.",
  consent_required: "The identity provider needs your consent first.",
  interaction_required: "The identity provider needs you to complete a step it could not show.",
  temporarily_unavailable: "The identity provider is temporarily unavailable; try again in a moment.",
};

export class LoginError extends Error {
  override readonly name = "LoginError";
  constructor(
    readonly code: LoginErrorCode,
    /** For the operator: logged, not shown (except an IdP's own error, which the person may act on). */
    message: string,
    /** The IdP's `error` value, for idp_error and idp_token_error. */
    readonly idpError?: string,
  ) {
    super(message);
  }

  get status(): number {
    if (this.code === "idp_error") return this.idpError === "access_denied" ? 403 : 502;
    return STATUS[this.code] ?? 502;
  }

  /** The sentence for the page. */
  get pageText(): string {
    if (this.code !== "idp_error") return PAGE_TEXT[this.code];
    return `${PAGE_TEXT.idp_error} ${IDP_ERRORS[this.idpError ?? ""] ?? START_AGAIN}`;
  }
}

/** The page for a failed sign-in: the consent flow's error page, with the code and this request's id. */
export function loginErrorResponse(err: LoginError, requestId: string): Response {
  const code = err.idpError ? `${err.code}: ${err.idpError}` : err.code;
  return htmlResponse(errorPage({ title: "Sign-in did not complete", message: err.pageText, code, note: `Request id: ${requestId}.` }), err.status);
}
