// The files `mcpgw init` writes: a Zuplo MCP Gateway project that validates with no warnings and serves
// at once (an OAuth-protected route in front of the built-in demo upstream, dev-login for local sign-in).
// Kept as strings in the binary: a compiled mcpgw has no templates directory to read.

export interface TemplateOptions {
  /** The route's upstream: an MCP server URL, or mcpgw:demo for the built-in demo server. */
  upstream: string;
}

const ZUPLO_JSONC = `// A Zuplo MCP Gateway project, served by mcpgw (\`mcpgw dev\` locally, \`mcpgw start\` in production).
{
  "version": 1,
  // MCP gateway features need 2026-03-01 or later.
  "compatibilityDate": "2026-03-01",
  // Self-hosting settings, all optional (mcpgw's configuration reference: docs/configuration.md).
  "mcpgw": {
    "basePath": "/",
    // Behind a reverse proxy or on a public host name, set the origin clients use:
    // "publicOrigin": "https://mcp.example.com",
  },
}
`;

const POLICIES = {
  policies: [
    {
      name: "mcp-oauth",
      policyType: "mcp-oauth-inbound",
      handler: {
        module: "$import(@zuplo/runtime/mcp-gateway)",
        export: "McpOAuthInboundPolicy",
        options: {
          // dev-login: a local sign-in for `mcpgw dev` on loopback; replace with your IdP for production.
          oidc: { issuer: "http://127.0.0.1:9000", jwksUrl: "http://127.0.0.1:9000/.well-known/jwks.json" },
          browserLogin: { url: "http://127.0.0.1:9000/oauth/dev-login" },
        },
      },
    },
  ],
};

function routes(options: TemplateOptions) {
  return {
    openapi: "3.1.0",
    info: { title: "mcpgw gateway", version: "0.1.0" },
    paths: {
      "/mcp/my-server-v1": {
        "get,post": {
          operationId: "my-mcp-server",
          summary: "My MCP server",
          description:
            options.upstream === "mcpgw:demo" ? "mcpgw's built-in demo MCP server (tools echo, add, get_time). Replace mcpgw:demo with your MCP server's URL." : "Proxied MCP server.",
          "x-zuplo-route": {
            corsPolicy: "none",
            handler: { module: "$import(@zuplo/runtime/mcp-gateway)", export: "McpProxyHandler", options: { rewritePattern: options.upstream } },
            policies: { inbound: ["mcp-oauth"] },
          },
        },
      },
    },
  };
}

const ENV_EXAMPLE = `# Copy to .env (keep it out of version control) for values the config reads with $env(NAME).
# The process environment wins over .env; under systemd, put secrets in /etc/mcpgw/mcpgw.env instead.
# Names containing SECRET, TOKEN, PASSWORD, PRIVATE, API_KEY or CREDENTIAL, or ending in _KEY, are never
# logged; mark any other secret with a "# @secret" line above it.

# UPSTREAM_API_KEY=
`;

const GITIGNORE = `.env
.mcpgw/
`;

const README = `# mcpgw project

A Zuplo MCP Gateway project, served by mcpgw, the self-hosted MCP gateway.

| file | what it holds |
| --- | --- |
| \`zuplo.jsonc\` | the compatibility date and mcpgw's self-hosting settings (\`mcpgw\` block) |
| \`config/policies.json\` | the policies: here \`mcp-oauth\`, the OAuth 2.1 sign-in MCP clients go through |
| \`config/routes.oas.json\` | the routes: \`/mcp/my-server-v1\` proxies to the upstream MCP server |
| \`.env.example\` | copy to \`.env\` for values the config reads with \`$env(NAME)\` |

## Run it

\`\`\`bash
mcpgw validate            # every problem with file, line and what to do; exit 0 when valid
mcpgw dev                 # http://127.0.0.1:9000, reloads when these files change
\`\`\`

Point an MCP client (Streamable HTTP) at \`http://127.0.0.1:9000/mcp/my-server-v1\`. It signs in through
the local dev-login page (\`mcpgw dev\` only) and the consent page, then lists the upstream's tools.

## Make it yours

1. In \`config/routes.oas.json\`, set \`rewritePattern\` to your MCP server's URL (e.g.
   \`https://mcp.example.com/mcp\`) instead of \`mcpgw:demo\`, the built-in demo server.
2. Add a route per upstream; each needs a unique \`operationId\` and \`mcp-oauth\` in \`policies.inbound\`.
3. In production run \`mcpgw start\` (reloads on SIGHUP, drains on SIGTERM) with \`--data-dir\` on
   persistent storage, and set \`mcpgw.publicOrigin\` in \`zuplo.jsonc\` to the URL clients use.
`;

/** Project-relative path → file contents. */
export function projectFiles(options: TemplateOptions): Record<string, string> {
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return {
    "zuplo.jsonc": ZUPLO_JSONC,
    "config/policies.json": json(POLICIES),
    "config/routes.oas.json": json(routes(options)),
    ".env.example": ENV_EXAMPLE,
    ".gitignore": GITIGNORE,
    "README.md": README,
  };
}
