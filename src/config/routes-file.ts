import * as v from "valibot";
import { BUILTIN_MODULES, HANDLER_TYPES, findHandlerType, MCP_PROXY_HANDLER } from "../schemas/catalog.ts";
import type { McpProxyOptions } from "../schemas/mcp-proxy-handler.ts";
import { hasEnvReference } from "./env.ts";
import type { Path, ProblemSink } from "./issues.ts";
import { didYouMean } from "./suggest.ts";
import type { RouteConfig } from "./types.ts";

export const ROUTES_FILE = "config/routes.oas.json";

const HTTP_METHODS = new Set(["get", "post", "put", "delete", "patch", "head", "options", "trace"]);
// OpenAPI 3.1 path-item fields that are not operations.
const PATH_ITEM_FIELDS = new Set(["summary", "description", "parameters", "servers", "$ref"]);
export const CORS_POLICIES = ["none"] as const;

const RoutesFileSchema = v.looseObject({
  openapi: v.optional(v.pipe(v.string(), v.regex(/^3\.[01]\./, "must be an OpenAPI 3.0 or 3.1 version"))),
  paths: v.record(v.string(), v.unknown()),
});

const Operation = v.looseObject({
  operationId: v.optional(v.string()),
  summary: v.optional(v.string()),
  description: v.optional(v.string()),
  "x-zuplo-route": v.looseObject({
    corsPolicy: v.optional(v.string(), "none"),
    handler: v.looseObject({
      export: v.pipe(v.string(), v.minLength(1)),
      module: v.string(),
      options: v.optional(v.unknown()),
    }),
    policies: v.optional(
      v.looseObject({
        inbound: v.optional(v.array(v.string()), []),
        outbound: v.optional(v.array(v.string()), []),
      }),
      {},
    ),
  }),
});

/** Validate routes.oas.json (env already substituted) into routes; cross-file rules run later. */
export function readRoutes(value: unknown, sink: ProblemSink): RouteConfig[] {
  const file = v.safeParse(RoutesFileSchema, value);
  if (!file.success) {
    sink.addSchemaIssues("MCPGW_CONFIG_ROUTES_INVALID", [], file.issues, 'routes.oas.json must be an OpenAPI document with a "paths" object.');
    return [];
  }
  const routes: RouteConfig[] = [];
  for (const [path, item] of Object.entries(file.output.paths)) {
    const itemPath: Path = ["paths", path];
    // Zuplo fails the build on this; left alone it would become a literal path no client asks for.
    if (hasEnvReference(path)) {
      sink.add("MCPGW_CONFIG_ENV_NOT_ALLOWED", itemPath, `The route path "${path}" has an environment reference; route paths are not substituted.`, "Write the path literally, e.g. /mcp/linear-v1; environment references are resolved only inside handler and policy options.");
      continue;
    }
    if (!path.startsWith("/")) {
      sink.add("MCPGW_CONFIG_INVALID_PATH", itemPath, `The route path "${path}" does not start with "/".`, `Write it as "/${path}".`);
      continue;
    }
    if (/[{}]/.test(path)) {
      sink.add("MCPGW_CONFIG_INVALID_PATH", itemPath, `The route path "${path}" has a path parameter; MCP routes need a fixed path.`, "Use a literal path such as /mcp/linear-v1.");
      continue;
    }
    if (!item || typeof item !== "object" || Array.isArray(item)) {
      sink.add("MCPGW_CONFIG_ROUTES_INVALID", itemPath, "A path item must be an object of operations.", 'Write e.g. { "get,post": { "operationId": …, "x-zuplo-route": … } }.');
      continue;
    }
    for (const [key, op] of Object.entries(item)) {
      if (PATH_ITEM_FIELDS.has(key)) continue;
      const opPath: Path = [...itemPath, key];
      const methods = key.split(",").map((m) => m.trim().toLowerCase());
      const bad = methods.filter((m) => !HTTP_METHODS.has(m));
      if (bad.length > 0) {
        sink.add("MCPGW_CONFIG_INVALID_METHOD", opPath, `"${key}" is not an HTTP method list (unknown: ${bad.join(", ")}).`, 'Use methods separated by commas, e.g. "get,post".');
        continue;
      }
      const parsed = v.safeParse(Operation, op);
      if (!parsed.success) {
        sink.addSchemaIssues("MCPGW_CONFIG_ROUTE_INVALID", opPath, parsed.issues, "Each operation needs x-zuplo-route with handler { export, module, options } (see docs/configuration.md#configroutesoasjson).");
        continue;
      }
      const o = parsed.output;
      const zr = o["x-zuplo-route"];
      if (!o.operationId) {
        sink.add("MCPGW_CONFIG_MISSING_OPERATION_ID", [...opPath, "operationId"], `The route ${key.toUpperCase()} ${path} has no operationId.`, 'Add a unique "operationId", e.g. "linear-mcp-server"; it identifies the MCP route in tokens and analytics.');
        continue;
      }
      if (!(CORS_POLICIES as readonly string[]).includes(zr.corsPolicy)) {
        sink.add("MCPGW_CONFIG_UNSUPPORTED_CORS_POLICY", [...opPath, "x-zuplo-route", "corsPolicy"], `The CORS policy "${zr.corsPolicy}" is not supported on MCP routes.`, 'Set "corsPolicy": "none": MCP clients are not browsers and must not send ambient credentials.');
        continue;
      }
      const handlerPath: Path = [...opPath, "x-zuplo-route", "handler"];
      if (!(BUILTIN_MODULES as readonly string[]).includes(zr.handler.module)) {
        sink.add("MCPGW_CONFIG_UNKNOWN_MODULE", [...handlerPath, "module"], `The module "${zr.handler.module}" is not available in mcpgw.`, `Use ${BUILTIN_MODULES.map((m) => `"${m}"`).join(" or ")}.`);
        continue;
      }
      const def = findHandlerType(zr.handler.export);
      if (!def) {
        sink.add("MCPGW_CONFIG_UNKNOWN_HANDLER", [...handlerPath, "export"], `The handler "${zr.handler.export}" is not implemented by mcpgw.`, `${didYouMean(zr.handler.export, HANDLER_TYPES.map((h) => h.exportName))}mcpgw implements: ${HANDLER_TYPES.map((h) => h.exportName).join(", ")}.`);
        continue;
      }
      const options = v.safeParse(def.optionsSchema, zr.handler.options ?? {});
      if (!options.success) {
        sink.addSchemaIssues("MCPGW_CONFIG_HANDLER_OPTIONS_INVALID", [...handlerPath, "options"], options.issues, `Fix the ${def.exportName} options (see docs/proxy.md#options).`);
        continue;
      }
      routes.push({
        path,
        methods: methods.map((m) => m.toUpperCase()),
        operationId: o.operationId,
        ...(o.summary !== undefined ? { summary: o.summary } : {}),
        ...(o.description !== undefined ? { description: o.description } : {}),
        corsPolicy: zr.corsPolicy,
        // One handler type today: its schema's output is the McpProxyHandler options.
        handler: { exportName: MCP_PROXY_HANDLER.exportName, options: options.output as McpProxyOptions },
        inbound: zr.policies.inbound,
        outbound: zr.policies.outbound,
      });
    }
  }
  return routes;
}

/** JSON path of a route's operation in routes.oas.json, for cross-file problems. */
export function operationPath(route: RouteConfig, file: unknown): Path {
  const paths = (file as { paths?: Record<string, Record<string, unknown>> }).paths ?? {};
  const key = Object.keys(paths[route.path] ?? {}).find((k) => (paths[route.path]?.[k] as { operationId?: string })?.operationId === route.operationId);
  return ["paths", route.path, key ?? route.methods.join(",").toLowerCase()];
}
