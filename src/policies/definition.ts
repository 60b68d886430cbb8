import type * as v from "valibot";
import type { BuildContext, InboundPolicy } from "../request/context.ts";

/**
 * A policy type's runtime: `create` gets the options config/ validated against the type's schema in
 * src/schemas/catalog.ts (typed by that schema) once per route, and returns the request step.
 */
export interface PolicyDefinition<S extends v.GenericSchema = v.GenericSchema> {
  readonly policyType: string;
  readonly optionsSchema: S;
  create(options: v.InferOutput<S>, build: BuildContext): InboundPolicy;
}

export function definePolicy<S extends v.GenericSchema>(def: PolicyDefinition<S>): PolicyDefinition {
  return def as unknown as PolicyDefinition;
}
