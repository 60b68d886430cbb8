import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadProject } from "../../src/config/load.ts";
import { startGateway, postRpc, type GatewayUnderTest } from "../helpers/gateway.ts";
import { routesDoc, writeProject } from "../helpers/project.ts";

// mtlsCertificate against a real TLS upstream that demands a client certificate: a throwaway CA, a
// server certificate for 127.0.0.1 and two client certificates (one from that CA, one from a rogue CA),
// all made with the openssl CLI for this run.

let dir: string;
let upstream: ReturnType<typeof Bun.serve>;
let gateway: GatewayUnderTest;

function openssl(...args: string[]): void {
  const run = Bun.spawnSync(["openssl", ...args], { cwd: dir, stderr: "pipe" });
  if (run.exitCode !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${run.stderr.toString()}`);
}

function issue(name: string, ca: string, usage: "serverAuth" | "clientAuth", san?: string): void {
  openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
  writeFileSync(join(dir, `${name}.ext`), `extendedKeyUsage=${usage}\n${san ? `subjectAltName=${san}\n` : ""}`);
  openssl("x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-out", `${name}.crt`, "-days", "1", "-extfile", `${name}.ext`);
}

const pem = (name: string) => readFileSync(join(dir, name), "utf8");

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mcpgw-mtls-"));
  for (const ca of ["ca", "rogue-ca"]) openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${ca}.key`, "-out", `${ca}.crt`, "-days", "1", "-subj", `/CN=${ca}`);
  issue("server", "ca", "serverAuth", "IP:127.0.0.1,DNS:localhost");
  issue("client", "ca", "clientAuth");
  issue("rogue-client", "rogue-ca", "clientAuth");

  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: pem("server.crt"), key: pem("server.key"), ca: pem("ca.crt"), requestCert: true, rejectUnauthorized: true },
    async fetch(request) {
      const server = new McpServer({ name: "mtls-upstream", version: "1.0.0" });
      server.registerTool("whoami", { description: "Says the request came over mTLS." }, async () => ({ content: [{ type: "text", text: "authenticated by certificate" }] }));
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      await server.connect(transport);
      return transport.handleRequest(request);
    },
  });
  const url = `https://127.0.0.1:${upstream.port}/mcp`;
  const route = (operationId: string, mtlsCertificate: string) => ({
    "get,post": {
      operationId,
      "x-zuplo-route": { corsPolicy: "none", handler: { module: "$import(@zuplo/runtime/mcp-gateway)", export: "McpProxyHandler", options: { rewritePattern: url, mtlsCertificate } }, policies: { inbound: [] } },
    },
  });
  gateway = await startGateway({
    zuplo: {
      version: 1,
      compatibilityDate: "2026-03-01",
      mcpgw: {
        mtlsCertificates: {
          "upstream-client": { certFile: join(dir, "client.crt"), keyFile: join(dir, "client.key"), caFile: join(dir, "ca.crt") },
          "inline-client": { cert: "$env(MTLS_CLIENT_CERT)", key: "$env(MTLS_CLIENT_KEY)", ca: "$env(MTLS_UPSTREAM_CA)" },
          "rogue-client": { certFile: join(dir, "rogue-client.crt"), keyFile: join(dir, "rogue-client.key"), caFile: join(dir, "ca.crt") },
        },
      },
    },
    env: { MTLS_CLIENT_CERT: pem("client.crt"), MTLS_CLIENT_KEY: pem("client.key"), MTLS_UPSTREAM_CA: pem("ca.crt") },
    routes: routesDoc({ "/mcp/mtls": route("mtls-server", "upstream-client"), "/mcp/mtls-inline": route("mtls-inline-server", "inline-client"), "/mcp/rogue": route("rogue-server", "rogue-client") }),
  });
});

afterAll(async () => {
  await gateway?.stop();
  upstream?.stop(true);
});

describe("McpProxyHandler mtlsCertificate", () => {
  it("the upstream really demands a client certificate", async () => {
    const direct = fetch(`https://127.0.0.1:${upstream.port}/mcp`, { method: "POST", body: "{}", tls: { ca: pem("ca.crt") } });
    await expect(direct).rejects.toThrow();
  });

  for (const path of ["/mcp/mtls", "/mcp/mtls-inline"]) {
    it(`presents the certificate named by the route (${path === "/mcp/mtls" ? "PEM files" : "inline PEM from env"}), so the SDK client's calls go through`, async () => {
      const client = new Client({ name: "mtls-test", version: "1.0.0" });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.url}${path}`)));
      expect(await client.callTool({ name: "whoami", arguments: {} })).toEqual({ content: [{ type: "text", text: "authenticated by certificate" }] });
      await client.close();
    });
  }

  it("a certificate the upstream does not trust fails the handshake → 502 upstream_unreachable", async () => {
    const res = await postRpc(`${gateway.url}/mcp/rogue`, { jsonrpc: "2.0", id: "tls", method: "tools/list" });
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ id: "tls", error: { code: -32081, data: { reasonCode: "upstream_unreachable" } } });
  });

  it("is refused at load on an http:// rewritePattern (a client certificate needs TLS)", () => {
    const project = writeProject({
      zuplo: { version: 1, compatibilityDate: "2026-03-01", mcpgw: { mtlsCertificates: { c: { certFile: join(dir, "client.crt"), keyFile: join(dir, "client.key") } } } },
      routes: routesDoc({
        "/mcp/plain": {
          "get,post": {
            operationId: "plain",
            "x-zuplo-route": { corsPolicy: "none", handler: { module: "$import(@zuplo/runtime/mcp-gateway)", export: "McpProxyHandler", options: { rewritePattern: "http://127.0.0.1:1/mcp", mtlsCertificate: "c" } } },
          },
        },
      }),
    });
    const result = loadProject(project, { env: {} });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.map((p) => p.message).join("\n")).toContain("mtlsCertificate needs an https:// rewritePattern");
  });
});
