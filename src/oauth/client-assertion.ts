import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from "jose";
import { InvalidClient } from "./errors.ts";
import { ReplayCacheFull, type AssertionReplayCache } from "./replay-cache.ts";

// private_key_jwt client authentication (RFC 7523 §2.2 and §3, OIDC Core §9): the client signs a short JWT
// with its private key; we verify it with jose against the client's registered public keys. What is checked,
// and why:
// - alg from a fixed list of asymmetric algorithms, never taken on trust from the header: `none` would need
//   no key, and HS256 "signed" with the client's *public* key would verify against it (algorithm confusion);
// - iss = sub = client_id (RFC 7523 §3 items 1–2), so one client's assertion cannot authenticate another;
// - aud is this authorization server — its issuer or the endpoint's URL — and a single value, so an
//   assertion minted for another server cannot be replayed here (RFC 7523 §3 item 3; draft-ietf-oauth-rfc7523bis);
// - exp present and at most 5 minutes away (and iat, when present, at most 5 minutes before exp): a leaked
//   assertion is useless soon;
// - jti single use until exp (RFC 7523 §3 item 7), recorded only after everything else holds, so forged
//   assertions cannot burn a client's jti values.

export const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** Asymmetric JWS algorithms accepted for client assertions (advertised in AS metadata). */
export const ASSERTION_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"] as const;

export const MAX_ASSERTION_LIFETIME_S = 300;
/** Clock difference tolerated between the client and us, for exp, nbf and iat. */
const CLOCK_SKEW_S = 30;
const MAX_JTI_LENGTH = 256;

export interface AssertionCheck {
  readonly clientId: string;
  /** Values of `aud` that name this authorization server: the endpoint's URL and the issuer identifiers. */
  readonly audiences: readonly string[];
  /** The registered token_endpoint_auth_signing_alg, or all of ASSERTION_ALGORITHMS. */
  readonly algorithms: readonly string[];
  /** The client's public keys; `refresh` when the cached set has no key for the assertion. */
  readonly keys: (refresh: boolean) => Promise<JSONWebKeySet>;
  readonly replay: AssertionReplayCache;
  readonly now: number;
}

/** The client an assertion claims to come from (its unverified `sub`), for requests that send no client_id. */
export function assertedClientId(assertion: string): string {
  let payload: JWTPayload;
  try {
    payload = decodeJwt(assertion);
  } catch {
    throw new InvalidClient("The client_assertion is not a JWT.");
  }
  if (typeof payload.sub !== "string" || payload.sub === "") throw new InvalidClient("The client_assertion has no sub naming the client.");
  return payload.sub;
}

function headerAlgorithm(assertion: string, allowed: readonly string[]): string {
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(assertion).alg;
  } catch {
    throw new InvalidClient("The client_assertion is not a JWT.");
  }
  if (typeof alg !== "string" || alg === "none") throw new InvalidClient("The client_assertion is unsigned (alg none); sign it with the client's private key.");
  if (/^HS/i.test(alg)) throw new InvalidClient(`The client_assertion uses the symmetric algorithm ${alg}; private_key_jwt needs an asymmetric one (${allowed.join(", ")}).`);
  if (!allowed.includes(alg)) throw new InvalidClient(`The client_assertion algorithm ${alg} is not accepted; use ${allowed.join(", ")}.`);
  return alg;
}

async function verifySignature(assertion: string, check: AssertionCheck): Promise<JWTPayload> {
  const options = {
    algorithms: [...check.algorithms],
    issuer: check.clientId,
    subject: check.clientId,
    audience: [...check.audiences],
    currentDate: new Date(check.now),
    clockTolerance: CLOCK_SKEW_S,
    requiredClaims: ["exp", "jti"],
  };
  try {
    return (await jwtVerify(assertion, createLocalJWKSet(await check.keys(false)), options)).payload;
  } catch (err) {
    // The client may have rotated its keys since we cached the set: fetch it again (rate-limited) once.
    if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
    return (await jwtVerify(assertion, createLocalJWKSet(await check.keys(true)), options)).payload;
  }
}

/** Why jose refused the assertion, in words for the client's developer. */
function describeJoseError(err: unknown): string {
  if (err instanceof errors.JWTExpired) return "The client_assertion has expired.";
  if (err instanceof errors.JWTClaimValidationFailed) {
    const claim = err.claim;
    if (claim === "aud") return "The client_assertion's aud is not this authorization server; use its issuer or the endpoint URL.";
    if (claim === "iss" || claim === "sub") return `The client_assertion's ${claim} must be the client_id.`;
    return `The client_assertion's ${claim} claim is not acceptable: ${err.reason === "missing" ? "it is missing" : err.message}.`;
  }
  if (err instanceof errors.JWKSNoMatchingKey) return "No key in the client's JWK Set matches the client_assertion (check its kid and alg).";
  if (err instanceof errors.JWKSMultipleMatchingKeys) return "Several keys in the client's JWK Set match the client_assertion; give each key a distinct kid and set it in the header.";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "The client_assertion's signature does not verify with the client's public key.";
  if (err instanceof errors.JOSEError) return `The client_assertion cannot be verified: ${err.message}.`;
  return `The client's public keys cannot be used: ${err instanceof Error ? err.message : String(err)}.`;
}

function lifetimeBounded(payload: JWTPayload, nowS: number): void {
  const exp = payload.exp!;
  if (exp - nowS > MAX_ASSERTION_LIFETIME_S + CLOCK_SKEW_S) {
    throw new InvalidClient(`The client_assertion lives too long: exp must be at most ${MAX_ASSERTION_LIFETIME_S} seconds away.`);
  }
  if (payload.iat !== undefined) {
    if (payload.iat > nowS + CLOCK_SKEW_S) throw new InvalidClient("The client_assertion was issued in the future (iat); check the client's clock.");
    if (exp - payload.iat > MAX_ASSERTION_LIFETIME_S) throw new InvalidClient(`The client_assertion lives too long: exp − iat must be at most ${MAX_ASSERTION_LIFETIME_S} seconds.`);
  }
}

function singleAudience(payload: JWTPayload): void {
  if (Array.isArray(payload.aud) && payload.aud.length !== 1) throw new InvalidClient("The client_assertion's aud must be a single value: this authorization server's issuer or the endpoint URL.");
}

/** Verifies `assertion` for `check.clientId`; InvalidClient saying what is wrong otherwise. */
export async function verifyClientAssertion(assertion: string, check: AssertionCheck): Promise<void> {
  headerAlgorithm(assertion, check.algorithms);
  let payload: JWTPayload;
  try {
    payload = await verifySignature(assertion, check);
  } catch (err) {
    if (err instanceof InvalidClient) throw err; // the client's keys could not be fetched
    throw new InvalidClient(describeJoseError(err));
  }
  singleAudience(payload);
  lifetimeBounded(payload, Math.floor(check.now / 1000));
  const jti = payload.jti;
  if (typeof jti !== "string" || jti === "" || jti.length > MAX_JTI_LENGTH) throw new InvalidClient(`The client_assertion's jti must be 1 to ${MAX_JTI_LENGTH} characters.`);
  let fresh: boolean;
  try {
    fresh = await check.replay.claim(`${check.clientId}\n${jti}`, (payload.exp! + CLOCK_SKEW_S) * 1000);
  } catch (err) {
    if (err instanceof ReplayCacheFull) throw new InvalidClient("Too many client assertions are in use right now; retry in a minute.");
    throw err;
  }
  if (!fresh) throw new InvalidClient("The client_assertion was already used (its jti is single use); sign a new one for each request.");
}
