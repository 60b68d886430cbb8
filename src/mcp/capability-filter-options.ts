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

// The words for docs/reference/policies.md (scripts/docs-reference.ts; the shape is OptionDocs in
// src/schemas/option-docs.ts, which this layer may not import).
const markupDocs = (list: string) => ({
  [`${list}[].roles`]: "`rolesAndGroups` mode: people with any of these roles (from `accessControl.roleClaim`) may use the item.",
  [`${list}[].groups`]: "`rolesAndGroups` mode: people in any of these groups (from `accessControl.groupClaim`) may use the item.",
  [`${list}[].public`]: "`rolesAndGroups` mode: everyone may use the item, signed in or not. Not together with `roles` or `groups`.",
});
const resourceFieldDocs = (list: string) => ({
  [`${list}[].name`]: "Replaces the upstream's `name` in list answers.",
  [`${list}[].description`]: "Replaces the upstream's `description` in list answers.",
  [`${list}[].mimeType`]: "Replaces the upstream's `mimeType` in list answers.",
  [`${list}[]._meta`]: "Deep-merged into the upstream's `_meta` in list answers.",
  ...markupDocs(list),
});

export const CapabilityFilterOptionsDocs = {
  summary:
    "Curates what the upstream exposes on the route: allow-lists of tools, prompts, resources and resource templates, with projections (descriptions, annotations, `_meta`) and per-person access in `rolesAndGroups` mode. An omitted list passes that type through; an empty list hides every item; matching is exact and case-sensitive. A call of a hidden item is answered `-32601` before the upstream is contacted; list answers are filtered in JSON and in event streams. Markup (`roles`, `groups`, `public`) needs `accessControl.mode: \"rolesAndGroups\"`. See [capability-filter.md](../capability-filter.md).",
  options: {
    tools: "The tools the route exposes: a name, or an object that names one and projects it. Each name once.",
    "tools[].name": "The upstream tool's name (matched exactly).",
    "tools[].description": "Replaces the upstream's `description` in `tools/list`.",
    "tools[].annotations": "Deep-merged into the upstream's `annotations` in `tools/list`.",
    "tools[]._meta": "Deep-merged into the upstream's `_meta` in `tools/list`.",
    ...markupDocs("tools"),
    prompts: "The prompts the route exposes: a name, or an object that names one and projects it. Each name once.",
    "prompts[].name": "The upstream prompt's name (matched exactly).",
    "prompts[].description": "Replaces the upstream's `description` in `prompts/list`.",
    "prompts[]._meta": "Deep-merged into the upstream's `_meta` in `prompts/list`.",
    ...markupDocs("prompts"),
    resources: "The fixed resources the route exposes: a URI, or an object that names one and projects it. Each URI once. With `resources` set, `resources/read` admits a listed URI or one that matches a listed template.",
    "resources[].uri": "The upstream resource's URI (matched exactly).",
    ...resourceFieldDocs("resources"),
    resourceTemplates: "The resource templates the route exposes: an RFC 6570 URI template, or an object that names one and projects it. Each template once.",
    "resourceTemplates[].uriTemplate": "The upstream template, written as the upstream lists it.",
    ...resourceFieldDocs("resourceTemplates"),
    accessControl: "Who may use the listed items.",
    "accessControl.mode": "`allPublic`: every listed item is visible to everyone. `rolesAndGroups`: an item is usable when it is `public` or the person has one of its roles or groups; unmarked items are visible to no one. `function` (custom code) is refused.",
    "accessControl.roleClaim": "The claim that holds the person's roles: a literal key such as `https://example.com/roles`, else a dot-path.",
    "accessControl.groupClaim": "The claim that holds the person's groups: a literal key such as `cognito:groups`, else a dot-path.",
  },
};
