import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ProjectFiles {
  /** zuplo.jsonc text or value; defaults to a valid MCP-ready file. */
  zuplo?: string | object;
  policies?: string | object;
  routes?: string | object;
  /** Contents of .env. */
  dotenv?: string;
}

export const MCP_ZUPLO = { version: 1, compatibilityDate: "2026-03-01" };

const text = (v: string | object) => (typeof v === "string" ? v : JSON.stringify(v, null, 2));

/** Write a Zuplo project into a fresh temp directory and return its path. */
export function writeProject(files: ProjectFiles): string {
  const dir = mkdtempSync(join(tmpdir(), "mcpgw-project-"));
  mkdirSync(join(dir, "config"));
  writeFileSync(join(dir, "zuplo.jsonc"), text(files.zuplo ?? MCP_ZUPLO));
  if (files.policies !== undefined) writeFileSync(join(dir, "config/policies.json"), text(files.policies));
  writeFileSync(join(dir, "config/routes.oas.json"), text(files.routes ?? { openapi: "3.1.0", info: { title: "t", version: "1" }, paths: {} }));
  if (files.dotenv !== undefined) writeFileSync(join(dir, ".env"), files.dotenv);
  return dir;
}

/** A McpProxyHandler route operation, for building routes.oas.json in tests. */
export function mcpRoute(operationId: string, rewritePattern: string, inbound: string[] = [], extra: object = {}): object {
  return {
    operationId,
    summary: `${operationId} proxy`,
    "x-zuplo-route": {
      corsPolicy: "none",
      handler: { module: "$import(@zuplo/runtime/mcp-gateway)", export: "McpProxyHandler", options: { rewritePattern } },
      policies: { inbound },
    },
    ...extra,
  };
}

export function routesDoc(paths: Record<string, Record<string, object>>): object {
  return { openapi: "3.1.0", info: { title: "test", version: "1" }, paths };
}
