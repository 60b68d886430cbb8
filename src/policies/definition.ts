import type * as v from "valibot";
import type { BuildContext, InboundPolicy, RouteHandler } from "../gateway/context.ts";

/** Which MCP role a policy plays; config rules (one OAuth policy, filter last…) key off this. */
export type PolicyFamily = "mcp-oauth" | "mcp-token-exchange" | "mcp-capability-filter" | "headers";

/** One entry of the policy registry: what `policyType` + `export` in policies.json resolve to. */
export interface PolicyDefinition<S extends v.GenericSchema = v.GenericSchema> {
  readonly policyType: string;
  readonly exportName: string;
  readonly family: PolicyFamily;
  readonly optionsSchema: S;
  /** Options validated once at load; the returned step runs per request. */
  create(options: v.InferOutput<S>, build: BuildContext): InboundPolicy;
}

export interface HandlerDefinition<S extends v.GenericSchema = v.GenericSchema> {
  readonly exportName: string;
  readonly optionsSchema: S;
  create(options: v.InferOutput<S>, build: BuildContext): RouteHandler;
}

export function definePolicy<S extends v.GenericSchema>(def: PolicyDefinition<S>): PolicyDefinition {
  return def as unknown as PolicyDefinition;
}

export function defineHandler<S extends v.GenericSchema>(def: HandlerDefinition<S>): HandlerDefinition {
  return def as unknown as HandlerDefinition;
}

/** Both specifiers Zuplo projects use resolve to our built-ins (the guides use the first, schemas the second). */
export const BUILTIN_MODULES = ["$import(@zuplo/runtime/mcp-gateway)", "$import(@zuplo/runtime)"] as const;
