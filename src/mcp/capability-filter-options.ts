import * as v from "valibot";
import { parseUriTemplate } from "./uri-template.ts";

// Options of `mcp-capability-filter-inbound` (spec §4.1, §4.3). Every rule that can be checked at
// load is checked here, with the issue path on the offending entry, so the runtime never guesses.

const NonEmpty = v.pipe(v.string(), v.minLength(1, "must not be empty"));

const UriTemplate = v.pipe(
  NonEmpty,
  v.check((template) => parseUriTemplate(template) !== undefined, "is not a valid RFC 6570 URI template"),
);

// A JSON object; v.record would accept an array and turn it into an object.
const JsonObject = v.custom<Record<string, unknown>>(
  (value) => typeof value === "object" && value !== null && !Array.isArray(value),
  "must be an object",
);

const Principals = v.pipe(v.array(NonEmpty), v.minLength(1, "list at least one name, or leave the key out"));

const markup = {
  roles: v.optional(Principals),
  groups: v.optional(Principals),
  public: v.optional(v.boolean()),
};

const MARKUP_KEYS = ["roles", "groups", "public"] as const;

type Markup = { roles?: string[]; groups?: string[]; public?: boolean };

// Spec §4.3: `public: true` already admits everyone, so roles or groups beside it are a mistake.
const isPublicAndRestricted = (item: Markup) => item.public === true && (item.roles !== undefined || item.groups !== undefined);
const PUBLIC_AND_RESTRICTED = "cannot be true together with roles or groups: remove public, or remove roles and groups";

const ToolProjection = v.pipe(
  v.strictObject({ name: NonEmpty, description: v.optional(v.string()), annotations: v.optional(JsonObject), _meta: v.optional(JsonObject), ...markup }),
  v.forward(v.check((item) => !isPublicAndRestricted(item), PUBLIC_AND_RESTRICTED), ["public"]),
);
const PromptProjection = v.pipe(
  v.strictObject({ name: NonEmpty, description: v.optional(v.string()), _meta: v.optional(JsonObject), ...markup }),
  v.forward(v.check((item) => !isPublicAndRestricted(item), PUBLIC_AND_RESTRICTED), ["public"]),
);
const resourceFields = { name: v.optional(v.string()), description: v.optional(v.string()), mimeType: v.optional(v.string()), _meta: v.optional(JsonObject), ...markup };
const ResourceProjection = v.pipe(
  v.strictObject({ uri: NonEmpty, ...resourceFields }),
  v.forward(v.check((item) => !isPublicAndRestricted(item), PUBLIC_AND_RESTRICTED), ["public"]),
);
const TemplateProjection = v.pipe(
  v.strictObject({ uriTemplate: UriTemplate, ...resourceFields }),
  v.forward(v.check((item) => !isPublicAndRestricted(item), PUBLIC_AND_RESTRICTED), ["public"]),
);

/**
 * An allow-list: each entry is the identifier alone or a projection object. `v.lazy` picks the
 * branch by input type, so issues keep their path into the object (a union would collapse them).
 */
function allowList<TProjection extends v.GenericSchema<unknown, Markup>>(
  key: string,
  identifier: v.GenericSchema<string>,
  projection: TProjection,
) {
  const item = v.lazy((input) => (typeof input === "string" ? identifier : projection));
  return v.optional(
    v.pipe(
      v.array(item),
      v.rawCheck(({ dataset, addIssue }) => {
        if (!dataset.typed) return;
        const seen = new Set<string>();
        dataset.value.forEach((entry, index) => {
          const id = typeof entry === "string" ? entry : (entry as Record<string, unknown>)[key] as string;
          if (seen.has(id)) {
            addIssue({
              message: `lists ${JSON.stringify(id)} twice: each ${key} may appear once`,
              path: [{ type: "array", origin: "value", input: dataset.value, key: index, value: entry }],
            });
          }
          seen.add(id);
        });
      }),
    ),
  );
}

const FUNCTION_MODE =
  'mode "function" runs custom code, which mcpgw does not load: use "rolesAndGroups" with roles, groups or public on each entry';

const AccessControl = v.strictObject({
  mode: v.optional(
    v.picklist(["allPublic", "rolesAndGroups"], (issue) => (issue.input === "function" ? FUNCTION_MODE : 'must be "allPublic" or "rolesAndGroups"')),
    "allPublic",
  ),
  roleClaim: v.optional(NonEmpty, "roles"),
  groupClaim: v.optional(NonEmpty, "groups"),
});

const LISTS = ["tools", "prompts", "resources", "resourceTemplates"] as const;

export const CapabilityFilterOptionsSchema = v.pipe(
  v.strictObject({
    tools: allowList("name", NonEmpty, ToolProjection),
    prompts: allowList("name", NonEmpty, PromptProjection),
    resources: allowList("uri", NonEmpty, ResourceProjection),
    resourceTemplates: allowList("uriTemplate", UriTemplate, TemplateProjection),
    accessControl: v.optional(AccessControl, {}),
  }),
  // Spec §4.3: in allPublic mode every listed entry is public, so access markup would silently do nothing.
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed || dataset.value.accessControl.mode !== "allPublic") return;
    const options = dataset.value;
    for (const list of LISTS) {
      options[list]?.forEach((entry, index) => {
        if (typeof entry === "string") return;
        const marked: Markup = entry;
        for (const field of MARKUP_KEYS) {
          if (marked[field] === undefined) continue;
          addIssue({
            message: `needs accessControl.mode "rolesAndGroups"; in "allPublic" mode every listed entry is visible to everyone`,
            path: [
              { type: "object", origin: "value", input: options, key: list, value: options[list] },
              { type: "array", origin: "value", input: options[list] as unknown[], key: index, value: entry },
              { type: "object", origin: "value", input: entry, key: field, value: marked[field] },
            ],
          });
        }
      });
    }
  }),
);

export type CapabilityFilterOptions = v.InferOutput<typeof CapabilityFilterOptionsSchema>;
