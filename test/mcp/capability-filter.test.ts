import { describe, expect, it } from "bun:test";
import * as v from "valibot";
import {
  checkRequest,
  compileCapabilityFilter,
  filterResponse,
  filterResponseBody,
  listRequestIds,
  methodNotFound,
  type Caller,
} from "../../src/mcp/capability-filter.ts";
import { CapabilityFilterOptionsSchema } from "../../src/mcp/capability-filter-options.ts";

// Options go through the schema first, as they do at load, so defaults (accessControl) apply.
const compile = (options: unknown) => compileCapabilityFilter(v.parse(CapabilityFilterOptionsSchema, options));

const call = (id: string | number, name: string) => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: {} } });
const getPrompt = (id: string | number, name: string) => ({ jsonrpc: "2.0", id, method: "prompts/get", params: { name } });
const read = (id: string | number, uri: string) => ({ jsonrpc: "2.0", id, method: "resources/read", params: { uri } });
const listRequest = (id: string | number, method: string) => ({ jsonrpc: "2.0", id, method });
const result = (id: string | number, value: Record<string, unknown>) => ({ jsonrpc: "2.0", id, result: value });

// Upstream catalog, named after the seed's examples (createUser vs create_user, destructiveHint…).
const listUsersTool = {
  name: "listUsers",
  description: "List users",
  inputSchema: { type: "object", properties: { limit: { type: "number" } } },
  outputSchema: { type: "object", properties: { users: { type: "array" } } },
  annotations: { title: "List users", readOnlyHint: false, destructiveHint: false },
  _meta: { vendor: { team: "identity", tier: "gold" }, trace: true },
};
const upstreamTools = [
  listUsersTool,
  { name: "createUser", description: "Create a user", inputSchema: { type: "object" } },
  { name: "create_user", description: "Create a user (v2)", inputSchema: { type: "object" } },
  { name: "deleteUser", description: "Delete a user", inputSchema: { type: "object" } },
];
const upstreamPrompts = [{ name: "summarize" }, { name: "translate" }];
const upstreamResources = [
  { uri: "docs://readme", name: "README", mimeType: "text/markdown" },
  { uri: "docs://secrets", name: "Secrets", mimeType: "text/plain" },
];
const upstreamTemplates = [
  { uriTemplate: "users://{id}/profile", name: "Profile" },
  { uriTemplate: "files://{+path}", name: "Files" },
];

const LISTS = {
  tools: { method: "tools/list", upstream: upstreamTools, key: "name" },
  prompts: { method: "prompts/list", upstream: upstreamPrompts, key: "name" },
  resources: { method: "resources/list", upstream: upstreamResources, key: "uri" },
  resourceTemplates: { method: "resources/templates/list", upstream: upstreamTemplates, key: "uriTemplate" },
} as const;

type ListKind = keyof typeof LISTS;

/** Runs a list request/response pair through the filter and returns the identifiers the client sees. */
function visible(filter: ReturnType<typeof compile>, kind: ListKind, caller?: Caller): unknown[] {
  const { method, upstream, key } = LISTS[kind];
  const ids = listRequestIds(listRequest(1, method));
  const body = filterResponseBody(filter, ids, result(1, { [kind]: upstream }), caller) as { result: Record<string, { [k: string]: unknown }[]> };
  return body.result[kind]!.map((item) => item[key]);
}

describe("capability filter options", () => {
  it("defaults to allPublic with the roles and groups claims", () => {
    expect(v.parse(CapabilityFilterOptionsSchema, {})).toEqual({ accessControl: { mode: "allPublic", roleClaim: "roles", groupClaim: "groups" } });
  });

  it("accepts every projection field and rolesAndGroups markup", () => {
    const options = {
      tools: ["a", { name: "b", description: "d", annotations: { readOnlyHint: true }, _meta: { x: 1 }, roles: ["admin"], groups: ["ops"] }],
      prompts: [{ name: "p", description: "d", _meta: {}, public: true }],
      resources: [{ uri: "docs://a", name: "A", description: "d", mimeType: "text/plain", _meta: {}, groups: ["ops"] }],
      resourceTemplates: [{ uriTemplate: "users://{id}{?fields*}", name: "U", description: "d", mimeType: "application/json", roles: ["r"] }],
      accessControl: { mode: "rolesAndGroups", roleClaim: "cognito:groups", groupClaim: "https://example.com/groups" },
    };
    expect(v.safeParse(CapabilityFilterOptionsSchema, options).issues).toBeUndefined();
  });

  const rejections: [string, unknown, string, RegExp][] = [
    ["an unknown option", { tool: ["a"] }, "tool", /never/],
    ["an unknown projection field", { tools: [{ name: "a", inputSchema: {} }] }, "tools.0.inputSchema", /never/],
    ["an unknown accessControl field", { accessControl: { mode: "allPublic", identifier: {} } }, "accessControl.identifier", /never/],
    ["an empty tool name", { tools: [{ name: "" }] }, "tools.0.name", /must not be empty/],
    ["an empty string entry", { prompts: ["ok", ""] }, "prompts.1", /must not be empty/],
    ["a missing match key", { resources: [{ name: "x" }] }, "resources.0.uri", /"uri"/],
    ["annotations that are not an object", { tools: [{ name: "a", annotations: [true] }] }, "tools.0.annotations", /must be an object/],
    ["_meta that is not an object", { prompts: [{ name: "a", _meta: "x" }] }, "prompts.0._meta", /must be an object/],
    ["a malformed URI template", { resourceTemplates: ["users://{id"] }, "resourceTemplates.0", /RFC 6570/],
    ["a reserved URI template operator", { resourceTemplates: [{ uriTemplate: "users://{=id}" }] }, "resourceTemplates.0.uriTemplate", /RFC 6570/],
    ["a duplicate tool (string and projection)", { tools: ["a", "b", { name: "a" }] }, "tools.2", /twice/],
    ["a duplicate resource uri", { resources: ["docs://a", "docs://a"] }, "resources.1", /twice/],
    ["mode function", { accessControl: { mode: "function" } }, "accessControl.mode", /"function" runs custom code/],
    ["an unknown mode", { accessControl: { mode: "everyone" } }, "accessControl.mode", /"allPublic" or "rolesAndGroups"/],
    ["an empty roles list", { tools: [{ name: "a", roles: [] }], accessControl: { mode: "rolesAndGroups" } }, "tools.0.roles", /at least one/],
    ["an empty group name", { tools: [{ name: "a", groups: [""] }], accessControl: { mode: "rolesAndGroups" } }, "tools.0.groups.0", /must not be empty/],
    ["public with roles", { tools: [{ name: "a", public: true, roles: ["x"] }], accessControl: { mode: "rolesAndGroups" } }, "tools.0.public", /together with roles or groups/],
    ["public with groups", { resources: [{ uri: "u", public: true, groups: ["x"] }], accessControl: { mode: "rolesAndGroups" } }, "resources.0.public", /together/],
    ["roles in allPublic mode", { tools: ["a", { name: "b", roles: ["admin"] }] }, "tools.1.roles", /rolesAndGroups/],
    ["public in (defaulted) allPublic mode", { prompts: [{ name: "p", public: true }] }, "prompts.0.public", /rolesAndGroups/],
    ["groups in explicit allPublic mode", { resourceTemplates: [{ uriTemplate: "u://{x}", groups: ["g"] }], accessControl: { mode: "allPublic" } }, "resourceTemplates.0.groups", /rolesAndGroups/],
  ];

  it.each(rejections)("rejects %s, naming the offending entry", (_, options, path, message) => {
    const issues = v.safeParse(CapabilityFilterOptionsSchema, options).issues ?? [];
    const found = issues.map((issue) => ({ path: (issue.path ?? []).map((p) => p.key).join("."), message: issue.message }));
    expect(found).toContainEqual({ path, message: expect.stringMatching(message) });
  });
});

describe("capability filter: allow-lists", () => {
  it("answers a hidden invocation with the seed's MethodNotFound error", () => {
    expect(checkRequest(compile({ tools: [] }), call("1", "createUser"))).toEqual({
      jsonrpc: "2.0",
      id: "1",
      error: { code: -32601, message: "Method not found" },
    });
    expect(methodNotFound(7)).toEqual({ jsonrpc: "2.0", id: 7, error: { code: -32601, message: "Method not found" } });
  });

  const invocations = {
    tools: (name: string) => call(1, name),
    prompts: (name: string) => getPrompt(1, name),
    resources: (uri: string) => read(1, uri),
  } as const;
  const kinds: [keyof typeof invocations, string, string][] = [
    ["tools", "listUsers", "deleteUser"],
    ["prompts", "summarize", "translate"],
    ["resources", "docs://readme", "docs://secrets"],
  ];

  describe.each(kinds)("%s", (kind, allowed, other) => {
    const all = LISTS[kind].upstream.map((item) => (item as Record<string, unknown>)[LISTS[kind].key]);

    it("passes everything through when the option is omitted", () => {
      const filter = compile({});
      expect(visible(filter, kind)).toEqual(all);
      expect(checkRequest(filter, invocations[kind](other))).toBeUndefined();
    });

    it("hides everything when the option is an empty array", () => {
      const filter = compile({ [kind]: [] });
      expect(visible(filter, kind)).toEqual([]);
      expect(checkRequest(filter, invocations[kind](allowed))).toEqual(methodNotFound(1));
      expect(checkRequest(filter, invocations[kind](other))).toEqual(methodNotFound(1));
    });

    it("exposes only the listed entries", () => {
      const filter = compile({ [kind]: [allowed] });
      expect(visible(filter, kind)).toEqual([allowed]);
      expect(checkRequest(filter, invocations[kind](allowed))).toBeUndefined();
      expect(checkRequest(filter, invocations[kind](other))).toEqual(methodNotFound(1));
    });

    it("leaves the other capability types alone", () => {
      const filter = compile({ [kind]: [] });
      for (const otherKind of Object.keys(LISTS) as ListKind[]) {
        if (otherKind !== kind) expect(visible(filter, otherKind)).toHaveLength(LISTS[otherKind].upstream.length);
      }
    });
  });

  it.each([
    ["create_user", true],
    ["createUser", false],
    ["Create_user", false],
    ["create_user ", false],
    ["create", false],
  ])("matches tool names exactly and case-sensitively: %p allowed=%p", (name, allowed) => {
    const filter = compile({ tools: ["create_user"] });
    expect(checkRequest(filter, call(1, name)) === undefined).toBe(allowed);
    expect(visible(compile({ tools: [name] }), "tools").includes("create_user")).toBe(allowed);
  });

  it("refuses a call without a usable name when tools are filtered", () => {
    const filter = compile({ tools: ["listUsers"] });
    expect(checkRequest(filter, { jsonrpc: "2.0", id: 3, method: "tools/call" })).toEqual(methodNotFound(3));
    expect(checkRequest(filter, { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: ["listUsers"] } })).toEqual(methodNotFound(3));
  });

  it("refuses a hidden invocation sent as a notification, with id null", () => {
    expect(checkRequest(compile({ tools: [] }), { jsonrpc: "2.0", method: "tools/call", params: { name: "x" } })).toEqual(methodNotFound(null));
  });

  it("forwards initialize, list requests and other methods untouched", () => {
    const filter = compile({ tools: [], prompts: [], resources: [], resourceTemplates: [] });
    for (const method of ["initialize", "tools/list", "prompts/list", "resources/list", "resources/templates/list", "ping"]) {
      expect(checkRequest(filter, listRequest(1, method))).toBeUndefined();
    }
    const initialize = result(1, { protocolVersion: "2025-06-18", capabilities: { tools: {}, prompts: {}, resources: {} } });
    expect(filterResponseBody(filter, listRequestIds(listRequest(1, "initialize")), initialize)).toBe(initialize);
  });
});

describe("capability filter: list responses", () => {
  it("keeps nextCursor and other result fields", () => {
    const filter = compile({ tools: ["listUsers"] });
    const response = { ...result(1, { tools: upstreamTools, nextCursor: "page-2", _meta: { a: 1 } }) };
    expect(filterResponse(filter, response)).toEqual({ jsonrpc: "2.0", id: 1, result: { tools: [listUsersTool], nextCursor: "page-2", _meta: { a: 1 } } });
  });

  it("passes error responses unchanged", () => {
    const response = { jsonrpc: "2.0", id: 1, error: { code: -32603, message: "upstream broke", data: { tools: upstreamTools } } };
    expect(filterResponse(compile({ tools: [] }), response)).toBe(response);
  });

  it("returns the same message when nothing is filtered", () => {
    const response = result(1, { tools: upstreamTools });
    expect(filterResponse(compile({}), response)).toBe(response);
    expect(filterResponse(compile({ tools: upstreamTools.map((t) => t.name) }), response)).toBe(response);
  });

  it("fails closed on a list that is not an array", () => {
    expect(filterResponse(compile({ tools: ["listUsers"] }), result(1, { tools: { listUsers: {} } }))).toEqual(result(1, { tools: [] }));
  });

  it("drops items without a string identifier", () => {
    const response = result(1, { tools: [listUsersTool, { description: "nameless" }, "listUsers", null] });
    expect(filterResponse(compile({ tools: ["listUsers"] }), response)).toEqual(result(1, { tools: [listUsersTool] }));
  });

  it("filters only responses to list requests", () => {
    const filter = compile({ tools: [] });
    const callResult = result(2, { content: [{ type: "text", text: "hi" }], tools: upstreamTools });
    expect(filterResponseBody(filter, listRequestIds(call(2, "x")), callResult)).toBe(callResult);
  });
});

describe("capability filter: projections", () => {
  const filter = compile({
    tools: [
      {
        name: "listUsers",
        description: "List the users of your workspace",
        annotations: { readOnlyHint: true },
        _meta: { vendor: { tier: "platinum" }, "example.com/owner": "platform" },
      },
    ],
    prompts: [{ name: "summarize", description: "Summarize a document", _meta: { category: "text" } }],
    resources: [{ uri: "docs://readme", name: "Read me first", mimeType: "text/plain", description: "Start here" }],
    resourceTemplates: [{ uriTemplate: "users://{id}/profile", name: "User profile", mimeType: "application/json" }],
  });
  const listed = <T>(kind: ListKind) => {
    const { method, upstream } = LISTS[kind];
    const body = filterResponseBody(filter, listRequestIds(listRequest(1, method)), result(1, { [kind]: upstream })) as { result: Record<string, T[]> };
    return body.result[kind]!;
  };

  it("rewrites a tool's description and deep-merges annotations and _meta, projection winning", () => {
    expect(listed("tools")).toEqual([
      {
        name: "listUsers",
        description: "List the users of your workspace",
        inputSchema: listUsersTool.inputSchema,
        outputSchema: listUsersTool.outputSchema,
        annotations: { title: "List users", readOnlyHint: true, destructiveHint: false },
        _meta: { vendor: { team: "identity", tier: "platinum" }, trace: true, "example.com/owner": "platform" },
      },
    ]);
  });

  it("keeps the upstream schemas and does not mutate the upstream item", () => {
    const [tool] = listed<{ inputSchema: unknown; outputSchema: unknown }>("tools");
    expect(tool!.inputSchema).toBe(listUsersTool.inputSchema);
    expect(tool!.outputSchema).toBe(listUsersTool.outputSchema);
    expect(listUsersTool.annotations).toEqual({ title: "List users", readOnlyHint: false, destructiveHint: false });
    expect(listUsersTool.description).toBe("List users");
  });

  it("adds _meta to an item that had none", () => {
    expect(listed("prompts")).toEqual([{ name: "summarize", description: "Summarize a document", _meta: { category: "text" } }]);
  });

  it("rewrites resource name, description and mimeType but keeps the uri", () => {
    expect(listed("resources")).toEqual([{ uri: "docs://readme", name: "Read me first", description: "Start here", mimeType: "text/plain" }]);
  });

  it("rewrites resource templates matched by uriTemplate", () => {
    expect(listed("resourceTemplates")).toEqual([{ uriTemplate: "users://{id}/profile", name: "User profile", mimeType: "application/json" }]);
  });
});

describe("capability filter: resources/read", () => {
  const filter = compile({
    resources: ["docs://readme"],
    resourceTemplates: ["users://{id}/profile", "files://{+path}", "search://{term}{?limit,page}", "logs{/segments*}", "mail://{user}@{host}"],
  });

  it.each([
    ["docs://readme", true],
    ["docs://README", false],
    ["docs://secrets", false],
    ["users://42/profile", true],
    ["users://42/x/profile", false],
    ["users:///profile", false],
    ["users://42/profile/more", false],
    ["files://a/b/c.txt", true],
    ["files://", false],
    ["search://cats", true],
    ["search://cats?limit=5&page=2", true],
    ["search://a/b", false],
    ["logs", true],
    ["logs/2024/06", true],
    ["logsx", false],
    ["mail://ada@example.com", true],
    ["mail://ada", false],
    ["other://x", false],
  ])("%p allowed=%p", (uri, allowed) => {
    expect(checkRequest(filter, read(1, uri)) === undefined).toBe(allowed);
  });

  it("filters resources/templates/list by exact uriTemplate", () => {
    expect(visible(filter, "resourceTemplates")).toEqual(["users://{id}/profile", "files://{+path}"]);
  });

  it("allows every read when resources is omitted, even with an empty resourceTemplates", () => {
    const passThrough = compile({ resourceTemplates: [] });
    expect(checkRequest(passThrough, read(1, "users://42/profile"))).toBeUndefined();
    expect(checkRequest(passThrough, read(1, "docs://secrets"))).toBeUndefined();
    expect(visible(passThrough, "resourceTemplates")).toEqual([]);
  });

  it("with resources set and resourceTemplates omitted, refuses reads outside the resource list", () => {
    const onlyResources = compile({ resources: ["docs://readme"] });
    expect(checkRequest(onlyResources, read(1, "docs://readme"))).toBeUndefined();
    expect(checkRequest(onlyResources, read(2, "users://42/profile"))).toEqual(methodNotFound(2));
    expect(visible(onlyResources, "resourceTemplates")).toHaveLength(upstreamTemplates.length);
  });

  it("with an empty resources list, allows only template instances", () => {
    const templatesOnly = compile({ resources: [], resourceTemplates: ["users://{id}/profile"] });
    expect(checkRequest(templatesOnly, read(1, "users://42/profile"))).toBeUndefined();
    expect(checkRequest(templatesOnly, read(2, "docs://readme"))).toEqual(methodNotFound(2));
  });

  it("refuses a read without a string uri", () => {
    expect(checkRequest(filter, { jsonrpc: "2.0", id: 4, method: "resources/read", params: {} })).toEqual(methodNotFound(4));
  });

  it("matches a long URI in linear time (no regex backtracking)", () => {
    const slow = compile({ resources: [], resourceTemplates: ["x://{a}.{b}.{c}.{d}!"] });
    const uri = "x://" + "a.".repeat(100_000);
    const started = performance.now();
    expect(checkRequest(slow, read(1, uri))).toEqual(methodNotFound(1));
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe("capability filter: batches", () => {
  const filter = compile({ tools: ["listUsers"], prompts: ["summarize"] });

  it("forwards a batch whose invocations are all allowed", () => {
    expect(checkRequest(filter, [call(1, "listUsers"), getPrompt(2, "summarize"), listRequest(3, "tools/list")])).toBeUndefined();
  });

  it("blocks the whole batch with one error carrying the first hidden item's id", () => {
    const batch = [call(1, "listUsers"), getPrompt("p-2", "translate"), call(3, "deleteUser")];
    expect(checkRequest(filter, batch)).toEqual(methodNotFound("p-2"));
  });

  it("filters each list response in a batch by the id of its request", () => {
    const request = [listRequest("t", "tools/list"), call(5, "listUsers"), listRequest("p", "prompts/list")];
    const ids = listRequestIds(request);
    const callResult = result(5, { content: [{ type: "text", text: "ok" }] });
    const response = [result("p", { prompts: upstreamPrompts }), callResult, result("t", { tools: upstreamTools })];
    const filtered = filterResponseBody(filter, ids, response) as unknown[];
    expect(filtered).toEqual([result("p", { prompts: [{ name: "summarize" }] }), callResult, result("t", { tools: [listUsersTool] })]);
    expect(filtered[1]).toBe(callResult);
  });

  it("filters both lists when a batch reuses one id for two list requests", () => {
    const ids = listRequestIds([listRequest(7, "tools/list"), listRequest(7, "prompts/list")]);
    const response = [result(7, { tools: upstreamTools }), result(7, { prompts: upstreamPrompts })];
    expect(filterResponseBody(filter, ids, response)).toEqual([result(7, { tools: [listUsersTool] }), result(7, { prompts: [{ name: "summarize" }] })]);
  });
});

describe("capability filter: rolesAndGroups access control", () => {
  const filter = compile({
    tools: [
      { name: "listUsers", public: true },
      { name: "createUser", description: "Create (admins)", roles: ["admin"] },
      { name: "create_user", groups: ["security"] },
      "deleteUser",
    ],
    accessControl: { mode: "rolesAndGroups" },
  });
  const admin: Caller = { claims: { sub: "a", roles: ["admin", "user"] } };
  const securityMember: Caller = { claims: { sub: "s", roles: "user", groups: "security" } };
  const nobody: Caller = { claims: { sub: "n", roles: ["user"], groups: [] } };

  it.each([
    ["an admin", admin, ["listUsers", "createUser"]],
    ["a security group member", securityMember, ["listUsers", "create_user"]],
    ["a caller with no listed role or group", nobody, ["listUsers"]],
    ["an anonymous caller", undefined, ["listUsers"]],
  ])("shows %s only what they may use", (_, caller, expected) => {
    expect(visible(filter, "tools", caller)).toEqual(expected);
    for (const name of ["listUsers", "createUser", "create_user", "deleteUser"]) {
      expect(checkRequest(filter, call(1, name), caller) === undefined).toBe(expected.includes(name));
    }
  });

  it("strips roles, groups and public from the projected items", () => {
    const upstream = [{ name: "listUsers", inputSchema: {} }, { name: "createUser", inputSchema: {} }];
    const body = filterResponse(filter, result(1, { tools: upstream }), admin);
    expect(body).toEqual(result(1, { tools: [{ name: "listUsers", inputSchema: {} }, { name: "createUser", description: "Create (admins)", inputSchema: {} }] }));
  });

  it("leaves omitted capability types open to everyone", () => {
    expect(visible(filter, "prompts", undefined)).toEqual(["summarize", "translate"]);
  });

  it.each([
    ["a literal key with a colon", "cognito:groups", { "cognito:groups": ["admin"] }],
    ["a URL claim name", "https://example.com/roles", { "https://example.com/roles": "admin" }],
    ["a dot-path into nested claims", "realm_access.roles", { realm_access: { roles: ["admin"] } }],
    ["a literal dotted key before the dot-path", "realm.roles", { "realm.roles": ["admin"], realm: { roles: ["user"] } }],
  ])("reads roles from %s", (_, roleClaim, claims) => {
    const custom = compile({ tools: [{ name: "createUser", roles: ["admin"] }], accessControl: { mode: "rolesAndGroups", roleClaim } });
    expect(checkRequest(custom, call(1, "createUser"), { claims })).toBeUndefined();
    expect(checkRequest(custom, call(1, "createUser"), { claims: { roles: ["admin"] } })).toEqual(methodNotFound(1));
  });

  it("does not read claims through the prototype chain", () => {
    const custom = compile({ tools: [{ name: "t", roles: ["Object"] }], accessControl: { mode: "rolesAndGroups", roleClaim: "constructor.name" } });
    expect(checkRequest(custom, call(1, "t"), { claims: {} })).toEqual(methodNotFound(1));
  });

  it("applies access control to resources/read via resources and templates", () => {
    const resources = compile({
      resources: [{ uri: "docs://readme", public: true }, { uri: "docs://secrets", roles: ["admin"] }],
      resourceTemplates: [{ uriTemplate: "users://{id}", groups: ["support"] }],
      accessControl: { mode: "rolesAndGroups" },
    });
    expect(checkRequest(resources, read(1, "docs://secrets"), admin)).toBeUndefined();
    expect(checkRequest(resources, read(1, "docs://secrets"))).toEqual(methodNotFound(1));
    expect(checkRequest(resources, read(1, "docs://readme"))).toBeUndefined();
    expect(checkRequest(resources, read(1, "users://42"), admin)).toEqual(methodNotFound(1));
    expect(checkRequest(resources, read(1, "users://42"), { claims: { groups: ["support"] } })).toBeUndefined();
  });
});
