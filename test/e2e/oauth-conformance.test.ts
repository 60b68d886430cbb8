import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { RunningGateway } from "../../src/cli/serve.ts";
import { REPO } from "../helpers/cli.ts";
import { Browser, DEMO_PATH, registerClient, startGateway, writeOAuthProject } from "../oauth/helpers.ts";

// The official MCP conformance tool's authorization-server scenarios (@modelcontextprotocol/conformance
// 0.2.x `authorization`, mcp-conformance.md §3.2) against our AS: metadata discovery, then a full
// authorization-code grant whose browser leg (dev-login, consent, Authorize) this test drives over HTTP.
// The tool is a devDependency (MCP_CONFORMANCE_BIN overrides its path); it needs Node ≥ 22 APIs, so it
// runs under our Bun.

const BIN = process.env.MCP_CONFORMANCE_BIN ?? join(REPO, "node_modules/@modelcontextprotocol/conformance/dist/index.js");

interface Outcome {
  code: number;
  output: string;
}

/** Run `conformance authorization`, acting as the person in the browser when it prints its authorize URL. */
async function runAuthorizationSuite(issuer: string, clientId: string, port: number, resource: string): Promise<Outcome> {
  const proc = Bun.spawn([process.execPath, BIN, "authorization", "--url", issuer, "--client-id", clientId, "--port", String(port), "--resource", resource], {
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", NO_COLOR: "1" },
  });
  let output = "";
  let walked = false;
  const decoder = new TextDecoder();
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      output += decoder.decode(chunk, { stream: true });
      const url = /https?:\/\/\S*response_type=code\S*/.exec(output)?.[0];
      // The tool prints the URL before its callback server listens: walk only once it does, or the
      // final redirect can arrive at a closed port (the grant then fails the run).
      if (url && !walked && output.includes("Callback server started")) {
        walked = true;
        void (async () => {
          const browser = new Browser();
          const { page, stoppedAt } = await browser.navigate(url, `http://127.0.0.1:${port}/`);
          if (stoppedAt) return void (await fetch(stoppedAt));
          const answered = await browser.submitConsent(page, "approve");
          await fetch(answered.headers.get("location")!); // the tool's callback server
        })();
      }
    }
  };
  await Promise.all([drain(proc.stdout), drain(proc.stderr)]);
  return { code: await proc.exited, output };
}

describe("MCP conformance: authorization server scenarios", () => {
  it("has the conformance tool installed (a devDependency)", () => {
    expect(existsSync(BIN)).toBe(true);
  });

  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await startGateway(writeOAuthProject());
  });
  afterAll(() => gw.stop());

  for (const variant of ["gateway-wide issuer", "per-route issuer"] as const) {
    it(`passes authorization-server-metadata-endpoint and authorization-code-grant (${variant})`, async () => {
      const port = 20_000 + Math.floor(Math.random() * 20_000);
      const client = await registerClient(gw.url, { client_name: "conformance", redirect_uris: [`http://127.0.0.1:${port}/callback`] });
      const issuer = variant === "gateway-wide issuer" ? gw.url : `${gw.url}${DEMO_PATH}`;
      const result = await runAuthorizationSuite(issuer, client.client_id, port, `${gw.url}${DEMO_PATH}`);
      expect(result.output).toContain("authorization-server-metadata-endpoint");
      expect(result.output).toContain("authorization-code-grant");
      expect({ code: result.code, output: result.output }).toMatchObject({ code: 0 });
    }, 60_000);
  }
});
