import * as v from "valibot";
import { BUILTIN_MODULES, findPolicyType, POLICY_TYPES } from "../schemas/catalog.ts";
import type { ProblemSink } from "./issues.ts";
import { didYouMean } from "./suggest.ts";
import type { PolicyConfig } from "./types.ts";

export const POLICIES_FILE = "config/policies.json";

const PolicyEntry = v.looseObject({
  name: v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]+$/, "may contain only letters, digits, '.', '_' and '-'")),
  policyType: v.pipe(v.string(), v.minLength(1)),
  handler: v.looseObject({
    export: v.pipe(v.string(), v.minLength(1)),
    module: v.string(),
    options: v.optional(v.unknown()),
  }),
});

export const PoliciesFileSchema = v.looseObject({
  policies: v.array(v.unknown()),
});

const IMPLEMENTED_TYPES = POLICY_TYPES.filter((p) => p.implemented).map((p) => p.policyType);

export interface PoliciesRead {
  readonly policies: PolicyConfig[];
  /**
   * Names policies.json defines but whose entry was refused, with the problem reported: routes may
   * refer to them without a second, misleading "not defined". "all" when the file could not be read
   * as a list of policies at all.
   */
  readonly refused: ReadonlySet<string> | "all";
}

/** Validate policies.json (env already substituted): each entry, its registry match and its options. */
export function readPolicies(value: unknown, sink: ProblemSink): PoliciesRead {
  const file = v.safeParse(PoliciesFileSchema, value);
  if (!file.success) {
    sink.addSchemaIssues("MCPGW_CONFIG_POLICIES_INVALID", [], file.issues, 'policies.json must be an object { "policies": [ … ] }.');
    return { policies: [], refused: "all" };
  }
  const out: PolicyConfig[] = [];
  const refused = new Set<string>();
  const seen = new Map<string, number>();
  file.output.policies.forEach((raw, i) => {
    const policy = readEntry(raw, i, seen, sink);
    if (policy) out.push(policy);
    else if (typeof (raw as { name?: unknown } | null)?.name === "string") refused.add((raw as { name: string }).name);
  });
  return { policies: out, refused };
}

/** One entry of policies.json, or undefined with its problem reported. */
function readEntry(raw: unknown, i: number, seen: Map<string, number>, sink: ProblemSink): PolicyConfig | undefined {
  const entry = v.safeParse(PolicyEntry, raw);
  if (!entry.success) {
    sink.addSchemaIssues("MCPGW_CONFIG_POLICY_INVALID", ["policies", i], entry.issues, "Each policy needs name, policyType and handler { export, module, options }.");
    return undefined;
  }
  const { name, policyType, handler } = entry.output;
  if (seen.has(name)) {
    sink.add("MCPGW_CONFIG_DUPLICATE_POLICY_NAME", ["policies", i, "name"], `The policy name "${name}" is already used by /policies/${seen.get(name)}.`, "Give every policy a unique name; routes refer to policies by name.");
    return undefined;
  }
  seen.set(name, i);
  if (!(BUILTIN_MODULES as readonly string[]).includes(handler.module)) {
    sink.add("MCPGW_CONFIG_UNKNOWN_MODULE", ["policies", i, "handler", "module"], `The module "${handler.module}" is not available in mcpgw (custom code modules are not supported).`, `Use ${BUILTIN_MODULES.map((m) => `"${m}"`).join(" or ")}.`);
    return undefined;
  }
  const def = findPolicyType(policyType);
  if (!def) {
    sink.add(
      "MCPGW_CONFIG_UNKNOWN_POLICY_TYPE",
      ["policies", i, "policyType"],
      `The policy type "${policyType}" is not implemented by mcpgw.`,
      `${didYouMean(policyType, POLICY_TYPES.map((p) => p.policyType))}mcpgw implements: ${IMPLEMENTED_TYPES.join(", ")} (docs/configuration.md#configpoliciesjson).`,
    );
    return undefined;
  }
  if (def.exportName !== handler.export) {
    sink.add("MCPGW_CONFIG_POLICY_EXPORT_MISMATCH", ["policies", i, "handler", "export"], `The policy type "${policyType}" is implemented by the export "${def.exportName}", not "${handler.export}".`, `Set handler.export to "${def.exportName}".`);
    return undefined;
  }
  const options = v.safeParse(def.optionsSchema, handler.options ?? {});
  if (!options.success) {
    sink.addSchemaIssues("MCPGW_CONFIG_POLICY_OPTIONS_INVALID", ["policies", i, "handler", "options"], options.issues, `Fix the options of "${name}" (see docs/configuration.md#configpoliciesjson).`);
    return undefined;
  }
  return { name, policyType, exportName: def.exportName, options: options.output };
}
