import { findPolicyType } from "../schemas/catalog.ts";
import type { Path, ProblemSink } from "./issues.ts";
import { MCP_MIN_COMPATIBILITY_DATE } from "./project-file.ts";
import { didYouMean } from "./suggest.ts";
import type { GatewaySettings, PolicyConfig, RouteConfig } from "./types.ts";

// Cross-file rules (spec §6): they need routes, policies and settings together, so they run after each
// file has been read on its own. Each rule adds problems; none stops the others.

export interface RuleInput {
  routes: readonly RouteConfig[];
  policies: readonly PolicyConfig[];
  /** Policies that policies.json defines but were refused ("all": the file was unreadable); see PoliciesRead. */
  refusedPolicies: ReadonlySet<string> | "all";
  settings: GatewaySettings | undefined;
  /** Ids under mcpgw.mtlsCertificates; undefined when zuplo.jsonc could not be read. */
  declaredMtlsCertificates: readonly string[] | undefined;
  compatibilityDate: string | undefined;
  routesSink: ProblemSink;
  projectSink: ProblemSink;
  policiesSink: ProblemSink;
  /** JSON path of a policy entry in policies.json. */
  policyWhere: (name: string) => Path;
  /** JSON path of a route's operation object in routes.oas.json. */
  where: (route: RouteConfig) => Path;
}

/** Prefixes the gateway itself serves; routes under them would be shadowed or would shadow. */
export function reservedPrefixes(basePath: string): string[] {
  return ["/__mcpgw", "/.well-known", `${basePath}/oauth`, `${basePath}/auth/connections`];
}

export function upstreamIdOf(policy: PolicyConfig): string {
  const explicit = (policy.options as { id?: unknown } | undefined)?.id;
  return typeof explicit === "string" && explicit !== "" ? explicit : policy.name.replace(/^mcp-token-exchange-/, "");
}

// One mistake, one problem: a rule that depends on something already reported wrong (a refused policy,
// an unreadable file) stays silent rather than report a consequence as a second mistake.
export function checkRules(input: RuleInput): void {
  const { routes, policies, routesSink, where } = input;
  const byName = new Map(policies.map((p) => [p.name, p]));
  const refused = input.refusedPolicies;
  const alreadyReported = (name: string) => refused === "all" || refused.has(name);
  const definedNames = [...byName.keys(), ...(refused === "all" ? [] : refused)];
  const familyOf = (name: string) => {
    const p = byName.get(name);
    return p ? findPolicyType(p.policyType)?.family : undefined;
  };

  const seenOperation = new Map<string, RouteConfig>();
  const seenMethod = new Map<string, RouteConfig>();
  const mcpOperationOnPath = new Map<string, RouteConfig>();
  const usedOAuth = new Set<string>();
  let usesMcp = false;

  for (const route of routes) {
    const at = where(route);
    const other = seenOperation.get(route.operationId);
    if (other) {
      routesSink.add("MCPGW_CONFIG_DUPLICATE_OPERATION_ID", [...at, "operationId"], `The operationId "${route.operationId}" is also used by ${other.path}.`, "Give every route its own operationId; tokens and analytics are bound to it.");
    }
    seenOperation.set(route.operationId, route);
    let duplicated = false;
    for (const m of route.methods) {
      const key = `${m} ${route.path}`;
      if (seenMethod.has(key)) {
        routesSink.add("MCPGW_CONFIG_DUPLICATE_ROUTE", at, `${key} is defined more than once.`, "Keep one operation per path and method.");
        duplicated = true;
      }
      seenMethod.set(key, route);
    }
    // Tokens and the protected resource are bound to one operationId per MCP path, so a second
    // operation there (get and post written apart) would answer every request with 401.
    if (route.handler.exportName === "McpProxyHandler") {
      const first = mcpOperationOnPath.get(route.path);
      if (first && !duplicated) {
        routesSink.add(
          "MCPGW_CONFIG_SPLIT_MCP_ROUTE",
          at,
          `The MCP path ${route.path} has two operations, "${first.operationId}" (${first.methods.join(", ")}) and "${route.operationId}" (${route.methods.join(", ")}); OAuth tokens are bound to one of them, so requests to the other would always be refused.`,
          `Write one operation with the method key "${[...first.methods, ...route.methods].join(",").toLowerCase()}" and one operationId.`,
        );
      }
      if (!first) mcpOperationOnPath.set(route.path, route);
    }
    const prefix = reservedPrefixes(input.settings?.basePath ?? "").find((p) => route.path === p || route.path.startsWith(p + "/"));
    if (prefix) {
      routesSink.add("MCPGW_CONFIG_RESERVED_PATH", ["paths", route.path], `The path ${route.path} is under ${prefix}, which the gateway serves itself.`, "Move the route, e.g. to /mcp/<name>-v1.");
    }

    if (route.handler.exportName === "McpProxyHandler") usesMcp = true;
    const families = route.inbound.map(familyOf);
    route.inbound.forEach((name, i) => {
      if (!byName.has(name) && !alreadyReported(name)) {
        routesSink.add(
          "MCPGW_CONFIG_UNKNOWN_POLICY_REFERENCE",
          [...at, "x-zuplo-route", "policies", "inbound", i],
          `The route refers to a policy "${name}" that config/policies.json does not define.`,
          `${didYouMean(name, definedNames)}Define "${name}" in config/policies.json or fix the name.`,
        );
      }
      if (families[i]?.startsWith("mcp-")) usesMcp = true;
      if (families[i] === "mcp-oauth") usedOAuth.add(name);
    });
    route.outbound.forEach((name, i) => {
      routesSink.add("MCPGW_CONFIG_OUTBOUND_NOT_SUPPORTED", [...at, "x-zuplo-route", "policies", "outbound", i], `"${name}" is listed as an outbound policy; mcpgw's policies are all inbound.`, "Move it to policies.inbound, or remove it.");
    });
    const exchanges = families.filter((f) => f === "mcp-token-exchange").length;
    if (exchanges > 1) {
      routesSink.add("MCPGW_CONFIG_MULTIPLE_TOKEN_EXCHANGE", [...at, "x-zuplo-route", "policies", "inbound"], "The route has more than one mcp-token-exchange-inbound policy.", "Keep one token-exchange policy per route: each route fronts one upstream.");
    }
    // The token exchange acts for the signed-in person: the MCP OAuth policy must have run before it.
    // With no OAuth policy at all the route is already reported (MCPGW_CONFIG_ROUTE_WITHOUT_AUTH).
    const exchangeAt = families.indexOf("mcp-token-exchange");
    if (exchangeAt !== -1 && families.indexOf("mcp-oauth") > exchangeAt) {
      routesSink.add("MCPGW_CONFIG_TOKEN_EXCHANGE_WITHOUT_OAUTH", [...at, "x-zuplo-route", "policies", "inbound", exchangeAt], `"${route.inbound[exchangeAt]}" runs before the MCP OAuth policy: it needs the signed-in person to pick their upstream connection.`, "Put the project's MCP OAuth policy first in policies.inbound, then the token-exchange policy.");
    }
    // Guidance only (Zuplo's docs say "keep the filter last"): its request check works in any position,
    // and its response step always sees the final upstream answer, because the upstream-credential
    // retry happens inside the handler's forward step, before any response step runs.
    const filterAt = families.indexOf("mcp-capability-filter");
    if (filterAt !== -1 && filterAt !== families.length - 1) {
      routesSink.add(
        "MCPGW_CONFIG_FILTER_NOT_LAST",
        [...at, "x-zuplo-route", "policies", "inbound", filterAt],
        "mcp-capability-filter-inbound is not the last inbound policy; it filters the same way in any position.",
        "Zuplo's docs advise keeping it last, which makes the chain easier to read; move it to the end of policies.inbound when convenient (docs/capability-filter.md#position-in-the-chain).",
        "warning",
      );
    }
    // rate-limit-inbound by "user" counts per ctx.user.sub, which only an MCP OAuth policy earlier in the chain sets.
    route.inbound.forEach((name, i) => {
      if (families[i] !== "rate-limit" || (byName.get(name)?.options as { rateLimitBy?: string }).rateLimitBy !== "user") return;
      if (families.slice(0, i).includes("mcp-oauth")) return;
      routesSink.add(
        "MCPGW_CONFIG_RATE_LIMIT_WITHOUT_USER",
        [...at, "x-zuplo-route", "policies", "inbound", i],
        `"${name}" limits per user (rateLimitBy "user"), but no MCP OAuth policy comes before it on ${route.path}, so no user is known when it runs.`,
        'Put the MCP OAuth policy first in policies.inbound, or use rateLimitBy "ip" (docs/rate-limiting.md).',
      );
    });
    // A chain naming a policy that is refused or missing is already an error; whether it was meant to be the OAuth policy is unknown.
    const chainKnown = route.inbound.every((name) => byName.has(name));
    if (route.handler.exportName === "McpProxyHandler" && chainKnown && !families.includes("mcp-oauth")) {
      routesSink.add("MCPGW_CONFIG_ROUTE_WITHOUT_AUTH", [...at, "x-zuplo-route", "policies", "inbound"], `The MCP route ${route.path} has no MCP OAuth policy: anyone who can reach the gateway can call it.`, "Add your MCP OAuth policy (e.g. mcp-oauth-inbound) first in policies.inbound, unless this is a deliberate public or demo route.", "warning");
    }
    const certId = route.handler.options.mtlsCertificate;
    if (certId !== undefined && input.declaredMtlsCertificates && !input.declaredMtlsCertificates.includes(certId)) {
      routesSink.add("MCPGW_CONFIG_UNKNOWN_MTLS_CERTIFICATE", [...at, "x-zuplo-route", "handler", "options", "mtlsCertificate"], `No mTLS certificate "${certId}" is defined.`, `${didYouMean(certId, input.declaredMtlsCertificates)}Define it in zuplo.jsonc under mcpgw.mtlsCertificates.${certId} with certFile and keyFile.`);
    }
  }

  // Spec §6.1 says exactly one MCP OAuth policy per project, while local-development.mdx suggests keeping
  // a dev and a prod policy side by side. We reject two in use and only warn about an unused second one.
  if (usedOAuth.size > 1) {
    routesSink.add("MCPGW_CONFIG_MULTIPLE_OAUTH_POLICIES", ["paths"], `Routes use more than one MCP OAuth policy (${[...usedOAuth].join(", ")}).`, "Attach the same MCP OAuth policy to every MCP route: all routes authenticate against one identity provider.");
  }
  const oauthPolicies = policies.filter((p) => findPolicyType(p.policyType)?.family === "mcp-oauth");
  if (oauthPolicies.length > 1 && usedOAuth.size <= 1) {
    input.policiesSink.add("MCPGW_CONFIG_UNUSED_OAUTH_POLICY", input.policyWhere(oauthPolicies[1]!.name), `config/policies.json defines ${oauthPolicies.length} MCP OAuth policies (${oauthPolicies.map((p) => p.name).join(", ")}); only one may be used.`, "Keep one in use; remove the others when you no longer switch between them.", "warning");
  }

  const upstreamIds = new Map<string, string>();
  for (const p of policies) {
    if (findPolicyType(p.policyType)?.family !== "mcp-token-exchange") continue;
    const id = upstreamIdOf(p);
    const prior = upstreamIds.get(id);
    if (prior) {
      input.policiesSink.add("MCPGW_CONFIG_DUPLICATE_UPSTREAM_ID", input.policyWhere(p.name), `The token-exchange policies "${prior}" and "${p.name}" share the upstream id "${id}".`, "Give each upstream its own id (options.id, or the name suffix after mcp-token-exchange-).");
    }
    upstreamIds.set(id, p.name);
  }

  if (usesMcp && input.compatibilityDate && input.compatibilityDate < MCP_MIN_COMPATIBILITY_DATE) {
    input.projectSink.add("MCPGW_CONFIG_COMPATIBILITY_DATE_TOO_OLD", ["compatibilityDate"], `The project uses MCP gateway features, which need compatibilityDate ${MCP_MIN_COMPATIBILITY_DATE} or later; it is ${input.compatibilityDate}.`, `Set "compatibilityDate": "${MCP_MIN_COMPATIBILITY_DATE}" (or later) in zuplo.jsonc.`);
  }
}
