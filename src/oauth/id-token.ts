import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { hashCredential, sameSecret } from "./credentials.ts";
import { LoginError, type LoginErrorCode } from "./login-errors.ts";

// ID token validation (OIDC Core §3.1.3.7) with jose: signature by a key of the IdP's JWKS, an
// asymmetric algorithm only (never `none`, never HS* — a public key used as an HMAC secret would let
// anyone sign), `iss` exactly the configured issuer, `aud` our client (or the configured audience),
// `azp` when present, `exp`/`iat` with a small skew, and the nonce of this sign-in.

export const ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];

/** Clocks differ a little between the IdP and the gateway. */
const CLOCK_SKEW_SECONDS = 60;
/** An ID token straight from the token endpoint is fresh; one issued long ago is a replay or a broken clock. */
const MAX_AGE_SECONDS = 60 * 60;

export interface IdTokenExpectations {
  /** The issuer, and any other exact spelling the IdP is known to use (Google). */
  readonly issuers: readonly string[];
  /** `oidc.audience`, or else the client id. */
  readonly audience: string;
  readonly clientId: string;
  /** SHA-256 of the nonce sent with this sign-in. */
  readonly nonceHash: string;
  readonly now: number;
}

/** The verified claims; `sub` is the person. */
export type IdTokenClaims = JWTPayload & { readonly sub: string };

function refuse(code: LoginErrorCode, message: string): never {
  throw new LoginError(code, message);
}

/** jose's typed errors, mapped to the reasons we document. */
function reasonOf(err: unknown): LoginError {
  if (err instanceof LoginError) return err;
  if (err instanceof errors.JWTExpired) {
    return new LoginError("id_token_expired", err.claim === "iat" ? `The ID token was issued more than ${MAX_AGE_SECONDS} s ago.` : "The ID token has expired (exp).");
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case "iss":
        return new LoginError("id_token_issuer_mismatch", `The ID token's iss is not the configured issuer (${err.reason}).`);
      case "aud":
        return new LoginError("id_token_audience_mismatch", `The ID token's aud does not include this gateway's client (${err.reason}).`);
      case "nbf":
      case "iat":
        return new LoginError("id_token_not_yet_valid", `The ID token's ${err.claim} is in the future.`);
      case "nonce":
        return new LoginError("id_token_nonce_mismatch", "The ID token carries no nonce.");
      default:
        return new LoginError("id_token_claims_invalid", `The ID token's ${err.claim} claim is invalid (${err.reason}).`);
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return new LoginError("id_token_algorithm_not_allowed", `The ID token's algorithm is not accepted; allowed: ${ID_TOKEN_ALGORITHMS.join(", ")}.`);
  if (err instanceof errors.JWSSignatureVerificationFailed) return new LoginError("id_token_signature_invalid", "The ID token's signature does not verify with the IdP's key.");
  if (err instanceof errors.JWKSNoMatchingKey) return new LoginError("id_token_key_unknown", "The ID token names a signing key (kid) the IdP's JWKS does not have, even after fetching it again.");
  if (err instanceof errors.JWKSMultipleMatchingKeys) return new LoginError("id_token_key_unknown", "The ID token has no kid and the IdP's JWKS has several keys that could match.");
  if (err instanceof errors.JOSEError) return new LoginError("id_token_malformed", `The ID token is not a valid signed JWT (${err.code}).`);
  return new LoginError("id_token_malformed", `The ID token could not be verified: ${(err as Error).message}.`);
}

export async function verifyIdToken(idToken: string, keys: JWTVerifyGetKey, expect: IdTokenExpectations): Promise<IdTokenClaims> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, keys, {
      issuer: [...expect.issuers],
      audience: expect.audience,
      algorithms: ID_TOKEN_ALGORITHMS,
      clockTolerance: CLOCK_SKEW_SECONDS,
      maxTokenAge: MAX_AGE_SECONDS,
      currentDate: new Date(expect.now),
      requiredClaims: ["sub", "exp", "iat", "nonce"],
    }));
  } catch (err) {
    throw reasonOf(err);
  }
  if (typeof payload.sub !== "string" || payload.sub === "") refuse("id_token_claims_invalid", "The ID token's sub is not a non-empty string.");
  // OIDC Core §3.1.3.7 (4, 5): several audiences need an azp, and an azp must be us.
  const audiences = [payload.aud].flat();
  if (payload.azp !== undefined && payload.azp !== expect.clientId) refuse("id_token_audience_mismatch", "The ID token's azp is another client.");
  if (audiences.length > 1 && payload.azp === undefined) refuse("id_token_audience_mismatch", "The ID token has several audiences and no azp.");
  if (typeof payload.nonce !== "string" || !sameSecret(hashCredential(payload.nonce), expect.nonceHash)) {
    refuse("id_token_nonce_mismatch", "The ID token's nonce is not the one sent with this sign-in (a replayed or foreign token).");
  }
  return payload as IdTokenClaims;
}

/** Protocol claims that say nothing about the person; the rest (email, roles, groups…) is kept. */
const PROTOCOL_CLAIMS = new Set(["aud", "exp", "iat", "nbf", "jti", "nonce", "at_hash", "c_hash", "s_hash", "azp", "auth_time", "sid"]);

/** The claims kept in the browser session and, through the grant, on each request (`request.user.data`). */
export function personClaims(claims: IdTokenClaims): Record<string, unknown> {
  return Object.fromEntries(Object.entries(claims).filter(([k]) => !PROTOCOL_CLAIMS.has(k)));
}
