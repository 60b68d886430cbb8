import fc from "fast-check";
import { REDIRECT_URI } from "../../oauth/helpers.ts";
import { authorizeShape, oauthJsonShape, problemShape, readAnswer, stackTrace, type Answer } from "../kit/outcome.ts";
import { FULL_ROUTE, type FuzzTarget } from "../kit/target.ts";
import { withWatchdog } from "../kit/watchdog.ts";
import { checkProperty, type FuzzOptions, type FuzzProperty } from "./property.ts";

// The authorization server's parameters as an attacker sends them: the token and revocation forms,
// the authorize query, registration bodies (RFC 7591 metadata) and client ID metadata documents
// (served from loopback, which dev mode may fetch). Values mix the real (client ids, live refresh
// tokens, the registered redirect URI) with near misses, repeats, huge and hostile strings.

const hostile = fc.constantFrom("", " ", "\u0000", "%00", "\u202e", "<script>alert(1)</script>", "'\"><img src=x>", "../../etc/passwd", "a".repeat(20_000), "\ud800", "null", "[]", "{}", "mcp:tools mcp:tools", "S256", "plain", "code", "token");
const redirectLike = fc.constantFrom(
  REDIRECT_URI,
  "http://127.0.0.1:1/callback",
  "http://127.0.0.1:53682/callback#frag",
  "http://user:pw@127.0.0.1:53682/callback",
  "http://127.0.0.1:53682/callback/../evil",
  "http://localhost:53682/callback",
  "https://evil.example/callback",
  "javascript:alert(1)",
  "cursor://anysphere.cursor-retrieval/oauth/callback",
  "http://127.0.0.1:53682/CALLBACK",
  "http://[::1]:53682/callback",
);

/** Values for any parameter: real ones of this target, near misses, hostile strings, random text. */
function values(target: FuzzTarget, cimdUrl: string): fc.Arbitrary<string> {
  const real = [
    ...target.clients.flatMap((c) => [c.clientId, c.tokens.access_token, c.tokens.refresh_token!]),
    cimdUrl,
    `${target.gateway.url}${FULL_ROUTE}`,
    `${target.gateway.url}${FULL_ROUTE}/`,
    `${target.gateway.url.replace("127.0.0.1", "localhost")}${FULL_ROUTE}`,
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    "A".repeat(43),
    "mcp:tools",
  ];
  return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...real) }, { weight: 2, arbitrary: redirectLike }, { weight: 2, arbitrary: hostile }, { weight: 2, arbitrary: fc.string({ maxLength: 40 }) }, { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) });
}

const PARAMS = ["grant_type", "code", "code_verifier", "refresh_token", "client_id", "client_secret", "redirect_uri", "resource", "scope", "client_assertion", "client_assertion_type", "token", "token_type_hint", "response_type", "code_challenge", "code_challenge_method", "state", "prompt"];
const paramName = fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...PARAMS) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) });

function params(target: FuzzTarget, cimdUrl: string): fc.Arbitrary<[string, string][]> {
  return fc.array(fc.tuple(paramName, values(target, cimdUrl)), { maxLength: 9 });
}

async function send(options: FuzzOptions, what: string, url: string, init: RequestInit = {}): Promise<Answer> {
  return withWatchdog(what, options.watchdogMs, (signal) => fetch(url, { ...init, redirect: "manual", signal }).then(readAnswer));
}

function fail(problem: string, request: string, answer: Answer): never {
  throw new Error(`${problem}\nrequest: ${request.slice(0, 600)}\nanswer ${answer.status} ${answer.headers.get("content-type")}: ${answer.text.slice(0, 300)}`);
}

/** A valid CIMD document for the fuzz target, served at a fixed path (the values pool names it). */
function serveGoodDocument(target: FuzzTarget): string {
  const url = `${target.documents.origin}/good/client.json`;
  target.documents.put("/good/client.json", {
    status: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_id: url, client_name: "Fuzz CIMD client", redirect_uris: [REDIRECT_URI] }),
  });
  return url;
}

const tokenSuccess = (a: Answer) => {
  const body = JSON.parse(a.text) as Record<string, unknown>;
  return a.status === 200 && typeof body.access_token === "string" && body.token_type === "Bearer" ? undefined : `unexpected success ${a.status}: ${a.text.slice(0, 200)}`;
};
const revokeSuccess = (a: Answer) => (a.status === 200 && a.text === "" ? undefined : `unexpected success ${a.status}: ${a.text.slice(0, 200)}`);
const registerSuccess = (a: Answer) => {
  const body = JSON.parse(a.text) as Record<string, unknown>;
  return a.status === 201 && typeof body.client_id === "string" && Array.isArray(body.redirect_uris) ? undefined : `unexpected success ${a.status}: ${a.text.slice(0, 200)}`;
};

const formTypes = fc.oneof({ weight: 8, arbitrary: fc.constant("application/x-www-form-urlencoded") }, { weight: 1, arbitrary: fc.constantFrom("application/json", "text/plain", "multipart/form-data; boundary=x", "APPLICATION/X-WWW-FORM-URLENCODED;charset=utf-8", "") });
const basic = fc.option(
  fc.oneof(fc.string({ maxLength: 30 }).map((s) => `Basic ${Buffer.from(s).toString("base64")}`), fc.constantFrom("Basic", "Basic !!!", "Bearer x", "Basic " + Buffer.from("a:b:c").toString("base64"))),
  { freq: 6, nil: undefined },
);

/** POST {base}/oauth/token and /oauth/revoke: forms of any parameters, any content type, any Basic header. */
export const tokenAndRevokeForms: FuzzProperty = {
  name: "OAuth token and revocation forms",
  async run(target, options) {
    let cases = 0;
    const cimdUrl = serveGoodDocument(target);
    await checkProperty(
      fc.asyncProperty(fc.constantFrom("token", "revoke"), params(target, cimdUrl), formTypes, basic, async (endpoint, form, type, authorization) => {
        cases++;
        const body = new URLSearchParams(form).toString();
        const headers: Record<string, string> = {};
        if (type) headers["content-type"] = type;
        if (authorization) headers.authorization = authorization;
        const a = await send(options, endpoint, `${target.gateway.url}/oauth/${endpoint}`, { method: "POST", headers, body });
        const problem = stackTrace(a) ?? oauthJsonShape(a, endpoint === "token" ? tokenSuccess : revokeSuccess);
        if (problem) fail(problem, `POST /oauth/${endpoint} ${type} ${authorization ?? ""}\n${body}`, a);
      }),
      options,
    );
    return cases;
  },
};

/** Where the registered redirect may send a browser: the URI itself, any port on loopback http (RFC 8252). */
function registeredRedirect(uri: string): boolean {
  if (uri === REDIRECT_URI) return true;
  const a = new URL(REDIRECT_URI);
  try {
    const b = new URL(uri);
    return b.protocol === "http:" && b.hostname === a.hostname && b.pathname === a.pathname;
  } catch {
    return false;
  }
}

const AUTHORIZE_PATHS = ["/oauth/authorize", `/oauth/authorize${FULL_ROUTE}`, "/oauth/authorize/mcp/none", "/oauth/authorize/%2e%2e/token"];

/** GET {base}/oauth/authorize[/{route}]: any query; the answer is a page or a redirect to a registered URI. */
export const authorizeQueries: FuzzProperty = {
  name: "OAuth authorize queries",
  async run(target, options) {
    let cases = 0;
    const cimdUrl = serveGoodDocument(target);
    await checkProperty(
      fc.asyncProperty(fc.constantFrom(...AUTHORIZE_PATHS), params(target, cimdUrl), async (path, query) => {
        cases++;
        const url = `${target.gateway.url}${path}?${new URLSearchParams(query)}`;
        const a = await send(options, "authorize", url);
        // A path naming no protected route is not the authorization endpoint: a 404 problem (see docs/security.md, "suite").
        const notAnEndpoint = a.status === 404 && path !== "/oauth/authorize" && path !== `/oauth/authorize${FULL_ROUTE}`;
        const problem = stackTrace(a) ?? (notAnEndpoint ? problemShape(a) : authorizeShape(a, target.gateway.url, registeredRedirect));
        if (problem) fail(problem, `GET ${url}`, a);
      }),
      options,
    );
    return cases;
  },
};

// ---- client metadata: DCR bodies and CIMD documents -------------------------------------------------

const metadataValue = fc.oneof(
  { weight: 3, arbitrary: redirectLike.map((u) => [u] as unknown) },
  { weight: 1, arbitrary: fc.array(redirectLike, { maxLength: 25 }) },
  { weight: 2, arbitrary: fc.constantFrom("none", "client_secret_basic", "client_secret_post", "private_key_jwt", "tls_client_auth", "") },
  { weight: 1, arbitrary: fc.constantFrom(["authorization_code"], ["authorization_code", "refresh_token"], ["implicit"], ["client_credentials"], [], ["code"]) },
  { weight: 1, arbitrary: fc.constantFrom({ keys: [] }, { keys: [{ kty: "RSA", n: "x", e: "AQAB" }] }, { keys: [{ kty: "oct", k: "c2VjcmV0" }] }, { keys: "no" }) },
  { weight: 2, arbitrary: hostile },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);
const METADATA_FIELDS = ["redirect_uris", "client_name", "client_uri", "token_endpoint_auth_method", "grant_types", "response_types", "scope", "software_id", "software_version", "jwks", "jwks_uri", "token_endpoint_auth_signing_alg", "client_id", "client_secret", "client_secret_expires_at"];
const BASE_METADATA = { client_name: "Fuzz client", redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: "none" };

/** A valid document with some fields replaced, dropped or added. */
const metadata = fc
  .tuple(fc.dictionary(fc.constantFrom(...METADATA_FIELDS), metadataValue, { maxKeys: 4 }), fc.subarray(Object.keys(BASE_METADATA)))
  .map(([changes, dropped]) => {
    const doc: Record<string, unknown> = { ...BASE_METADATA, ...changes };
    for (const key of dropped) delete doc[key];
    return doc;
  });

/** POST {base}/oauth/register: RFC 7591 bodies, near-valid and not. */
export const registrationBodies: FuzzProperty = {
  name: "DCR registration bodies",
  async run(target, options) {
    let cases = 0;
    const body = fc.oneof({ weight: 10, arbitrary: metadata.map((m) => JSON.stringify(m)) }, { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom("", "[]", "null", "{", `{"redirect_uris":["${REDIRECT_URI}"]}${" ".repeat(20_000)}`)) });
    const type = fc.oneof({ weight: 8, arbitrary: fc.constant("application/json") }, { weight: 1, arbitrary: fc.constantFrom("application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "") });
    await checkProperty(
      fc.asyncProperty(body, type, async (text, contentType) => {
        cases++;
        const a = await send(options, "register", `${target.gateway.url}/oauth/register`, { method: "POST", headers: contentType ? { "content-type": contentType } : {}, body: text });
        const problem = stackTrace(a) ?? oauthJsonShape(a, registerSuccess);
        if (problem) fail(problem, `POST /oauth/register ${contentType}\n${text}`, a);
      }),
      options,
    );
    return cases;
  },
};

/** How the document server answers: usually a JSON document, sometimes not at all what was asked for. */
const documentAnswer = fc.oneof(
  { weight: 8, arbitrary: fc.record({ status: fc.constant(200), type: fc.constant("application/json"), extra: fc.constant("") }) },
  {
    weight: 1,
    arbitrary: fc.record({
      status: fc.constantFrom(200, 301, 404, 500),
      type: fc.constantFrom("application/json", "text/html", "application/jrd+json", ""),
      extra: fc.constantFrom("", " ".repeat(6_000), "garbage"),
    }),
  },
);

let documentCounter = 0;

/**
 * Client ID Metadata Documents: each case serves its own document at a fresh URL (so no cache answers
 * for it) and presents that URL as client_id at authorize and at the token endpoint.
 */
export const clientMetadataDocuments: FuzzProperty = {
  name: "CIMD documents",
  async run(target, options) {
    let cases = 0;
    await checkProperty(
      fc.asyncProperty(metadata, documentAnswer, fc.boolean(), fc.constantFrom("authorize", "token"), async (doc, served, selfNamed, endpoint) => {
        cases++;
        const path = `/cimd/${++documentCounter}/client.json`;
        const url = `${target.documents.origin}${path}`;
        const document = selfNamed ? { ...doc, client_id: url } : doc;
        const headers: Record<string, string> = served.type ? { "content-type": served.type } : {};
        if (served.status === 301) headers.location = "http://169.254.169.254/latest/meta-data/";
        target.documents.put(path, { status: served.status, headers, body: JSON.stringify(document) + served.extra });
        let a: Answer;
        let problem: string | undefined;
        if (endpoint === "authorize") {
          const query = new URLSearchParams({ response_type: "code", client_id: url, redirect_uri: REDIRECT_URI, code_challenge: "A".repeat(43), code_challenge_method: "S256", state: "s" });
          a = await send(options, "authorize", `${target.gateway.url}/oauth/authorize?${query}`);
          problem = stackTrace(a) ?? authorizeShape(a, target.gateway.url, registeredRedirect);
        } else {
          const form = new URLSearchParams({ grant_type: "authorization_code", client_id: url, code: "x", code_verifier: "A".repeat(43) });
          a = await send(options, "token", `${target.gateway.url}/oauth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form.toString() });
          problem = stackTrace(a) ?? oauthJsonShape(a, tokenSuccess);
        }
        if (problem) fail(problem, `${endpoint} with the document ${served.status} ${served.type}: ${JSON.stringify(document)}`, a);
      }),
      options,
    );
    return cases;
  },
};
