import * as v from "valibot";
import { problemResponse } from "../gateway/problem.ts";
import { definePolicy, type PolicyDefinition, type PolicyFamily } from "./definition.ts";

/**
 * A registry entry for a policy whose runtime lands in a later milestone: projects that use it load and
 * validate (options loosely), startup warns, and requests through it get an honest 501 rather than being
 * let through without the protection the policy promises.
 */
export function notYetImplemented(policyType: string, exportName: string, family: PolicyFamily): PolicyDefinition {
  const def = definePolicy({
    policyType,
    exportName,
    family,
    optionsSchema: v.looseObject({}),
    create: () => () =>
      problemResponse(501, `The policy type "${policyType}" is recognised but not implemented in this mcpgw version; the request was not forwarded.`, {
        code: "MCPGW_POLICY_NOT_IMPLEMENTED",
      }),
  });
  PENDING.add(def);
  return def;
}

const PENDING = new WeakSet<PolicyDefinition>();

export function isNotYetImplemented(def: PolicyDefinition): boolean {
  return PENDING.has(def);
}
