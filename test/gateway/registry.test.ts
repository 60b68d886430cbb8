import { describe, expect, it } from "bun:test";
import { IMPLEMENTED_POLICY_TYPES, policyRuntime } from "../../src/gateway/registry.ts";
import { POLICY_TYPES } from "../../src/schemas/catalog.ts";

// config/ validates against the catalog (no runtimes); the gateway builds from the registry. The two
// must name the same implemented types, with the same options schema.

describe("policy registry and catalog", () => {
  it("has a runtime for every implemented catalog type and for nothing else", () => {
    const implemented = POLICY_TYPES.filter((t) => t.implemented).map((t) => t.policyType);
    expect([...IMPLEMENTED_POLICY_TYPES].sort()).toEqual([...implemented].sort());
  });

  it("gives each runtime the schema config/ validated its options with", () => {
    for (const type of POLICY_TYPES.filter((t) => t.implemented)) expect(policyRuntime(type.policyType)?.optionsSchema).toBe(type.optionsSchema);
  });
});
