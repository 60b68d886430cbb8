import type { CapabilityFilterOptions } from "./capability-filter-options.ts";
import type { JsonRpcId } from "./jsonrpc.ts";
import { compileUriTemplate } from "./uri-template.ts";

// The pure core of `mcp-capability-filter-inbound` (spec §4): allow-lists, projections and access
// control over parsed JSON-RPC messages. No I/O; the policy wires these into the request and response.


export interface JsonRpcErrorResponse {
  readonly jsonrpc: "2.0";
  readonly id: JsonRpcId;
  readonly error: { readonly code: -32601; readonly message: "Method not found" };
}

/** Whoever sends the request: `claims` are the signed-in user's IdP claims (`request.user.data`). */
export interface Caller {
  readonly claims: Readonly<Record<string, unknown>>;
}

type Kind = "tools" | "prompts" | "resources" | "resourceTemplates";

/** Where each capability type lives in the protocol and which projection fields apply (spec §4.1). */
const KINDS: Readonly<Record<Kind, { readonly matchKey: string; readonly replace: readonly string[]; readonly merge: readonly string[] }>> = {
  tools: { matchKey: "name", replace: ["description"], merge: ["annotations", "_meta"] },
  prompts: { matchKey: "name", replace: ["description"], merge: ["_meta"] },
  resources: { matchKey: "uri", replace: ["name", "description", "mimeType"], merge: ["_meta"] },
  resourceTemplates: { matchKey: "uriTemplate", replace: ["name", "description", "mimeType"], merge: ["_meta"] },
};

/** The list methods whose successful results are filtered; each result key is the capability type. */
const LIST_METHODS: ReadonlyMap<string, Kind> = new Map<string, Kind>([
  ["tools/list", "tools"],
  ["prompts/list", "prompts"],
  ["resources/list", "resources"],
  ["resources/templates/list", "resourceTemplates"],
]);

type PlainObject = Record<string, unknown>;

interface EntryAccess {
  readonly public: boolean;
  readonly roles: readonly string[];
  readonly groups: readonly string[];
}

interface CatalogEntry {
  readonly access: EntryAccess;
  readonly replace: readonly (readonly [string, unknown])[];
  readonly merge: readonly (readonly [string, PlainObject])[];
}

/** A configured allow-list, keyed by the exact upstream identifier. */
type Catalog = ReadonlyMap<string, CatalogEntry>;

/** Options compiled once at load. An absent catalog means that capability type passes through. */
export interface CompiledFilter {
  readonly catalogs: Readonly<Partial<Record<Kind, Catalog>>>;
  readonly templateMatchers: readonly { readonly entry: CatalogEntry; readonly matches: (uri: string) => boolean }[];
  readonly access: { readonly mode: "allPublic" } | { readonly mode: "rolesAndGroups"; readonly roleClaim: string; readonly groupClaim: string };
}

/** Decides, for one caller, whether a catalog entry is usable. Built once per message. */
type Viewer = (access: EntryAccess) => boolean;

export function compileCapabilityFilter(options: CapabilityFilterOptions): CompiledFilter {
  const catalogs: Partial<Record<Kind, Catalog>> = {};
  for (const kind of Object.keys(KINDS) as Kind[]) {
    const items = options[kind];
    if (items !== undefined) catalogs[kind] = compileCatalog(kind, items);
  }
  const templateMatchers = [...(catalogs.resourceTemplates ?? [])].map(([uriTemplate, entry]) => ({
    entry,
    matches: compileUriTemplate(uriTemplate),
  }));
  const { mode, roleClaim, groupClaim } = options.accessControl;
  return { catalogs, templateMatchers, access: mode === "rolesAndGroups" ? { mode, roleClaim, groupClaim } : { mode } };
}

function compileCatalog(kind: Kind, items: readonly (string | object)[]): Catalog {
  const { matchKey, replace, merge } = KINDS[kind];
  const catalog = new Map<string, CatalogEntry>();
  for (const item of items) {
    const projection: PlainObject = typeof item === "string" ? { [matchKey]: item } : { ...item };
    catalog.set(projection[matchKey] as string, {
      access: {
        public: projection.public === true,
        roles: (projection.roles as string[] | undefined) ?? [],
        groups: (projection.groups as string[] | undefined) ?? [],
      },
      replace: replace.filter((field) => projection[field] !== undefined).map((field) => [field, projection[field]] as const),
      merge: merge.filter((field) => isPlainObject(projection[field])).map((field) => [field, projection[field] as PlainObject] as const),
    });
  }
  return catalog;
}

function viewerFor(filter: CompiledFilter, caller: Caller | undefined): Viewer {
  const access = filter.access;
  if (access.mode === "allPublic") return () => true;
  // Spec §4.3: anonymous callers get only public items; unmarked items are usable by no one.
  const roles = new Set(caller ? claimValues(caller.claims, access.roleClaim) : []);
  const groups = new Set(caller ? claimValues(caller.claims, access.groupClaim) : []);
  return (entry) => entry.public || entry.roles.some((r) => roles.has(r)) || entry.groups.some((g) => groups.has(g));
}

/**
 * Reads a claim as a list of strings. The literal key wins (`cognito:groups`,
 * `https://example.com/roles` contain dots or colons); otherwise the name is a dot-path into nested
 * objects. Only own properties are read, so a path like `__proto__.x` finds nothing.
 */
function claimValues(claims: Readonly<PlainObject>, claim: string): string[] {
  let value: unknown;
  if (Object.hasOwn(claims, claim)) value = claims[claim];
  else {
    value = claims;
    for (const segment of claim.split(".")) {
      value = isPlainObject(value) && Object.hasOwn(value, segment) ? value[segment] : undefined;
    }
  }
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

export function methodNotFound(id: JsonRpcId): JsonRpcErrorResponse {
  return { jsonrpc: "2.0", id, error: { code: -32601, message: "Method not found" } };
}

/**
 * Returns undefined when the request body may be forwarded, or the error to answer with instead
 * (spec §4.2: hidden invocations are refused before contacting the upstream).
 *
 * A batch that invokes any hidden capability is refused as a whole with ONE error object (not an
 * array), carrying the id of the first hidden item in batch order; no sibling is forwarded.
 * A hidden invocation sent as a notification (no id) is refused too, with id null.
 */
export function checkRequest(filter: CompiledFilter, message: unknown, caller?: Caller): JsonRpcErrorResponse | undefined {
  const viewer = viewerFor(filter, caller);
  // One message (nearly every request) without the batch's array and closure.
  const hidden = Array.isArray(message) ? message.find((item) => invokesHidden(filter, viewer, item)) : invokesHidden(filter, viewer, message) ? message : undefined;
  if (hidden === undefined) return undefined;
  const id = (hidden as PlainObject).id;
  return methodNotFound(typeof id === "string" || typeof id === "number" ? id : null);
}

function invokesHidden(filter: CompiledFilter, viewer: Viewer, message: unknown): boolean {
  if (!isPlainObject(message)) return false;
  const params = isPlainObject(message.params) ? message.params : {};
  switch (message.method) {
    case "tools/call":
      return !allowsName(filter.catalogs.tools, viewer, params.name);
    case "prompts/get":
      return !allowsName(filter.catalogs.prompts, viewer, params.name);
    case "resources/read":
    // Beyond the seed: subscribing to a hidden resource would reveal it through update notifications.
    case "resources/subscribe":
    case "resources/unsubscribe":
      return !allowsUri(filter, viewer, params.uri);
    // Beyond the seed: completions name a prompt or resource template, and would confirm hidden ones.
    case "completion/complete": {
      const ref = isPlainObject(params.ref) ? params.ref : {};
      if (ref.type === "ref/prompt") return !allowsName(filter.catalogs.prompts, viewer, ref.name);
      if (ref.type === "ref/resource") return !allowsTemplate(filter, viewer, ref.uri);
      return false;
    }
    default:
      return false;
  }
}

function allowsName(catalog: Catalog | undefined, viewer: Viewer, name: unknown): boolean {
  if (catalog === undefined) return true;
  const entry = typeof name === "string" ? catalog.get(name) : undefined;
  return entry !== undefined && viewer(entry.access);
}

/**
 * `resources/read` names a URI, which may be a listed resource or an instance of a template; the
 * gateway cannot tell which without the upstream's catalog. So:
 * - `resources` omitted: every URI is readable. Resources pass through, and any URI might be one, so
 *   `resourceTemplates` then only curates `resources/templates/list`.
 * - `resources` set: a URI is readable when it is a usable listed resource, or matches a usable entry
 *   of `resourceTemplates`. With `resourceTemplates` omitted no URI matches a template: an explicit
 *   resource allow-list is not widened by templates nobody listed (fail closed; list them to expose
 *   their reads). An empty `resources` therefore blocks every read not covered by a listed template.
 */
function allowsUri(filter: CompiledFilter, viewer: Viewer, uri: unknown): boolean {
  const resources = filter.catalogs.resources;
  if (resources === undefined) return true;
  if (typeof uri !== "string") return false;
  const entry = resources.get(uri);
  if (entry !== undefined && viewer(entry.access)) return true;
  return filter.templateMatchers.some((t) => viewer(t.entry.access) && t.matches(uri));
}

/** A completion's `ref/resource` names a template by its uriTemplate, or a concrete resource URI. */
function allowsTemplate(filter: CompiledFilter, viewer: Viewer, uri: unknown): boolean {
  const templates = filter.catalogs.resourceTemplates;
  if (templates === undefined) return allowsUri(filter, viewer, uri);
  if (typeof uri !== "string") return false;
  const entry = templates.get(uri) ?? filter.catalogs.resources?.get(uri);
  return entry !== undefined && viewer(entry.access);
}

/**
 * Ids of the list requests in a request body (single or batch), for matching responses to them.
 * A null id is kept: if an upstream answers it, the answer is still filtered.
 */
const NO_IDS: ReadonlySet<JsonRpcId> = new Set();

export function listRequestIds(message: unknown): ReadonlySet<JsonRpcId> {
  // One message that lists nothing (every call): no set to build.
  if (!Array.isArray(message) && !(isPlainObject(message) && typeof message.method === "string" && LIST_METHODS.has(message.method))) return NO_IDS;
  const ids = new Set<JsonRpcId>();
  for (const item of Array.isArray(message) ? message : [message]) {
    if (!isPlainObject(item) || typeof item.method !== "string" || !LIST_METHODS.has(item.method)) continue;
    if (typeof item.id === "string" || typeof item.id === "number" || item.id === null) ids.add(item.id);
  }
  return ids;
}

/**
 * Filters one response message that answers a list request; returns the same object when nothing
 * changes. Every list collection present in the result is filtered, not only the one the request's
 * method names: a batch may reuse one id for two different list requests, and filtering all keys
 * keeps a hidden item from slipping through under the other one. Error responses pass unchanged.
 */
export function filterResponse(filter: CompiledFilter, response: unknown, caller?: Caller): unknown {
  return filterWith(filter, viewerFor(filter, caller), response);
}

function filterWith(filter: CompiledFilter, viewer: Viewer, response: unknown): unknown {
  if (!isPlainObject(response) || !isPlainObject(response.result)) return response;
  let result = response.result;
  for (const kind of LIST_METHODS.values()) {
    const catalog = filter.catalogs[kind];
    if (catalog === undefined || !(kind in result)) continue;
    const items = result[kind];
    const kept = Array.isArray(items) ? filterItems(catalog, KINDS[kind].matchKey, viewer, items) : [];
    if (kept !== items) result = { ...result, [kind]: kept };
  }
  return result === response.result ? response : { ...response, result };
}

function filterItems(catalog: Catalog, matchKey: string, viewer: Viewer, items: readonly unknown[]): unknown[] {
  const kept: unknown[] = [];
  let changed = false;
  for (const item of items) {
    const key = isPlainObject(item) ? item[matchKey] : undefined;
    const entry = typeof key === "string" ? catalog.get(key) : undefined;
    if (entry === undefined || !viewer(entry.access)) {
      changed = true;
      continue;
    }
    const projected = project(item as PlainObject, entry);
    if (projected !== item) changed = true;
    kept.push(projected);
  }
  return changed ? kept : (items as unknown[]);
}

/**
 * Applies a projection. The identifier and the schemas (`inputSchema`, `outputSchema`) stay upstream;
 * access markup is never copied because only the type's projectable fields are.
 */
function project(item: PlainObject, entry: CatalogEntry): PlainObject {
  if (entry.replace.length === 0 && entry.merge.length === 0) return item;
  const out = { ...item };
  for (const [field, value] of entry.replace) out[field] = value;
  for (const [field, value] of entry.merge) out[field] = deepMerge(out[field], value);
  return out;
}

/** Projection fields win; nested objects merge; arrays and scalars are replaced whole. */
function deepMerge(upstream: unknown, override: PlainObject): PlainObject {
  const out: PlainObject = isPlainObject(upstream) ? { ...upstream } : {};
  for (const [key, value] of Object.entries(override)) {
    out[key] = isPlainObject(value) ? deepMerge(out[key], value) : value;
  }
  return out;
}

/**
 * Filters a whole parsed response body, single or batch, given the list request ids of the request
 * body it answers. Batch items are matched to their requests by id (spec §4.2).
 */
export function filterResponseBody(filter: CompiledFilter, requestIds: ReadonlySet<JsonRpcId>, body: unknown, caller?: Caller): unknown {
  if (requestIds.size === 0) return body;
  const viewer = viewerFor(filter, caller);
  const filterOne = (message: unknown) =>
    isPlainObject(message) && requestIds.has(message.id as JsonRpcId) ? filterWith(filter, viewer, message) : message;
  if (!Array.isArray(body)) return filterOne(body);
  const out = body.map(filterOne);
  return out.some((message, i) => message !== body[i]) ? out : body;
}

function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
