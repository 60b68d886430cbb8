import { describe, expect, it } from "bun:test";
import * as v from "valibot";
import { checkRequest, compileCapabilityFilter, methodNotFound } from "../../src/mcp/capability-filter.ts";
import { CapabilityFilterOptionsSchema } from "../../src/mcp/capability-filter-options.ts";

const compile = (options: unknown) => compileCapabilityFilter(v.parse(CapabilityFilterOptionsSchema, options));
const msg = (method: string, params: object) => ({ jsonrpc: "2.0", id: 7, method, params });

describe("capability filter beyond the seed", () => {
  const filter = compile({ prompts: ["summarize"], resources: ["docs://readme"], resourceTemplates: ["users://{id}/profile"] });

  it("refuses subscribing to a hidden resource, which would reveal it through updates", () => {
    expect(checkRequest(filter, msg("resources/subscribe", { uri: "docs://secrets" }))).toEqual(methodNotFound(7));
    expect(checkRequest(filter, msg("resources/unsubscribe", { uri: "docs://secrets" }))).toEqual(methodNotFound(7));
    expect(checkRequest(filter, msg("resources/subscribe", { uri: "docs://readme" }))).toBeUndefined();
  });

  it("refuses completions for hidden prompts and templates", () => {
    expect(checkRequest(filter, msg("completion/complete", { ref: { type: "ref/prompt", name: "translate" }, argument: { name: "a", value: "" } }))).toEqual(methodNotFound(7));
    expect(checkRequest(filter, msg("completion/complete", { ref: { type: "ref/prompt", name: "summarize" }, argument: { name: "a", value: "" } }))).toBeUndefined();
    expect(checkRequest(filter, msg("completion/complete", { ref: { type: "ref/resource", uri: "files://{+path}" }, argument: { name: "path", value: "" } }))).toEqual(methodNotFound(7));
    expect(checkRequest(filter, msg("completion/complete", { ref: { type: "ref/resource", uri: "users://{id}/profile" }, argument: { name: "id", value: "" } }))).toBeUndefined();
  });

  it("refuses a template completion when only templates are curated", () => {
    const onlyTemplates = compile({ resourceTemplates: ["users://{id}/profile"] });
    expect(checkRequest(onlyTemplates, msg("completion/complete", { ref: { type: "ref/resource", uri: "files://{+path}" }, argument: { name: "path", value: "" } }))).toEqual(methodNotFound(7));
  });
});
