import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { envSource, parseDotEnv, substituteEnv, type DotEnv } from "./env.ts";
import { ProblemSink, type Path } from "./issues.ts";
import { parseJsonc, type SourceDocument } from "./jsonc.ts";
import { POLICIES_FILE, readPolicies } from "./policies-file.ts";
import { errorsOnly, type ConfigProblem } from "./problems.ts";
import { readProjectFile, ZUPLO_FILE } from "./project-file.ts";
import { operationPath, readRoutes, ROUTES_FILE } from "./routes-file.ts";
import { checkRules } from "./rules.ts";
import type { AuthorizationServerConfig, GatewayConfig, PolicyConfig, RouteConfig } from "./types.ts";
import { findPolicyType } from "../schemas/catalog.ts";
import { isSecretVariableName } from "../log/redact.ts";

export type LoadResult = { ok: true; config: GatewayConfig } | { ok: false; problems: ConfigProblem[] };

export interface LoadOptions {
  env?: Record<string, string | undefined>;
}

interface ReadFile {
  doc?: SourceDocument;
  sink: ProblemSink;
}

function readJsoncFile(projectDir: string, file: string, required: boolean): ReadFile {
  const path = join(projectDir, file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const sink = new ProblemSink(file);
    const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
    if (missing && !required) return { sink };
    sink.add(
      missing ? "MCPGW_CONFIG_FILE_MISSING" : "MCPGW_CONFIG_FILE_UNREADABLE",
      [],
      missing ? `${file} was not found in ${projectDir}.` : `${file} cannot be read: ${(err as Error).message}.`,
      missing ? `Create ${file}, or point --project at the directory that has it.` : "Check the file's permissions.",
    );
    return { sink };
  }
  const { doc, problems } = parseJsonc(file, text);
  const sink = new ProblemSink(file, doc);
  sink.problems.push(...problems);
  return { sink, ...(doc ? { doc } : {}) };
}

// Zuplo resolves env references only inside handler options (spec §6.9); our `mcpgw` settings block
// in zuplo.jsonc also takes them, for PEM paths and origins that differ per environment.
const inPolicyOptions = (p: Path) => p[0] === "policies" && p[2] === "handler" && p[3] === "options";
const inHandlerOptions = (p: Path) => p[0] === "paths" && p[3] === "x-zuplo-route" && p[4] === "handler" && p[5] === "options";
const inSettings = (p: Path) => p[0] === "mcpgw";

/**
 * Read a Zuplo project (zuplo.jsonc, config/policies.json, config/routes.oas.json, .env) into one
 * validated, frozen GatewayConfig, or every problem found. Pure apart from reading the files.
 */
export function loadProject(projectDirInput: string, options: LoadOptions = {}): LoadResult {
  const projectDir = resolve(projectDirInput);
  const dotenvPath = join(projectDir, ".env");
  const dotenv: DotEnv = existsSync(dotenvPath) ? parseDotEnv(readFileSync(dotenvPath, "utf8")) : { values: new Map(), marked: new Set() };
  const env = envSource(options.env ?? process.env, dotenv, isSecretVariableName);
  const secretValues: string[] = [];

  const substitute = (f: ReadFile, allowed: (p: Path) => boolean): unknown => {
    if (!f.doc) return undefined;
    const r = substituteEnv(f.doc.value, f.sink.file, [], env, allowed, (p) => f.doc?.locate(p));
    f.sink.problems.push(...r.problems);
    f.sink.noteSubstitution(r.unresolved, r.origins);
    secretValues.push(...r.secrets);
    return r.value;
  };

  const project = readJsoncFile(projectDir, ZUPLO_FILE, true);
  const policiesFile = readJsoncFile(projectDir, POLICIES_FILE, false);
  const routesFile = readJsoncFile(projectDir, ROUTES_FILE, true);

  const projectValue = substitute(project, inSettings);
  const policiesValue = substitute(policiesFile, inPolicyOptions);
  const routesValue = substitute(routesFile, inHandlerOptions);

  const projectFile = project.doc ? readProjectFile(projectValue, projectDir, project.sink) : undefined;
  // No policies.json is a project without policies; one that cannot be parsed hides which it defines.
  const { policies, refused } = policiesFile.doc ? readPolicies(policiesValue, policiesFile.sink) : { policies: [], refused: policiesFile.sink.problems.length > 0 ? ("all" as const) : new Set<string>() };
  const routes = routesFile.doc ? readRoutes(routesValue, routesFile.sink) : [];

  checkRules({
    routes,
    policies,
    refusedPolicies: refused,
    settings: projectFile?.settings,
    declaredMtlsCertificates: projectFile?.declaredMtlsCertificates,
    compatibilityDate: projectFile?.compatibilityDate,
    routesSink: routesFile.sink,
    projectSink: project.sink,
    policiesSink: policiesFile.sink,
    policyWhere: (name) => {
      const list = (policiesValue as { policies?: { name?: string }[] } | undefined)?.policies ?? [];
      return ["policies", list.findIndex((p) => p?.name === name), "name"];
    },
    where: (route) => operationPath(route, routesValue),
  });

  const problems = [...project.sink.problems, ...policiesFile.sink.problems, ...routesFile.sink.problems];
  if (errorsOnly(problems).length > 0 || !projectFile) return { ok: false, problems };

  const config: GatewayConfig = {
    ...authorizationServerOf(policies, routes),
    projectDir,
    compatibilityDate: projectFile.compatibilityDate,
    settings: projectFile.settings,
    policies: new Map(policies.map((p) => [p.name, p])),
    routes,
    secretValues,
    warnings: problems,
  };
  return { ok: true, config: deepFreeze(config) };
}

/**
 * The authorization server of the MCP OAuth policy the routes use (checkRules has made sure there is at
 * most one in use), from its policy type's derivation. A type with no derivation yet (an IdP wrapper
 * not implemented) mounts no server.
 */
function authorizationServerOf(policies: readonly PolicyConfig[], routes: readonly RouteConfig[]): { authorizationServer?: AuthorizationServerConfig } {
  for (const policy of policies) {
    const type = findPolicyType(policy.policyType);
    if (type?.family !== "mcp-oauth" || !type.authorizationServer) continue;
    const guarded = routes.filter((r) => r.inbound.includes(policy.name));
    if (guarded.length === 0) continue;
    return { authorizationServer: { policyName: policy.name, options: type.authorizationServer(policy.options), routes: guarded } };
  }
  return {};
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    if (value instanceof Map) for (const v of value.values()) deepFreeze(v);
    else for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
