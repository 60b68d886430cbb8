import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { foldMemberName } from "../../src/mcp/json-members.ts";
import { policy, postRpc, startGateway, type GatewayUnderTest } from "../helpers/gateway.ts";
import { mcpRoute, routesDoc } from "../helpers/project.ts";

// Issue 18, High: the capability filter judges JSON.parse of the body while the upstream decodes the
// client's bytes. The real peer is a Go MCP upstream (test/fixtures/go-mcp-upstream/main.go) decoding
// with encoding/json, which matches member names case-insensitively and with Unicode folding. Each
// exploit is first sent to it directly, where it does run the hidden tool (so this test can fail),
// then through the gateway with the filter on, where it must be refused and never reach the upstream.
// Debian's golang-go builds it; .ci/run installs it. Without `go` locally the file skips loudly; in
// CI (CI=true) a missing `go` fails.

const GO = Bun.which("go");
if (!GO) {
  const banner = "!".repeat(100);
  console.error(`${banner}\nSKIPPING test/e2e/parser-differential.test.ts: no \`go\` on PATH (apt-get install golang-go).\nThe capability filter's parser-differential defence is NOT tested against a real case-insensitive decoder.\n${banner}`);
}

interface GoUpstream {
  readonly url: string;
  /** Tool names the upstream's tools/call handler decoded and ran, in order. */
  ran(): Promise<string[]>;
  stop(): void;
}

let buildDir: string;
let binary: string;

function buildGoUpstream(): void {
  buildDir = mkdtempSync(join(tmpdir(), "mcpgw-go-upstream-"));
  copyFileSync(join(import.meta.dir, "../fixtures/go-mcp-upstream/main.go"), join(buildDir, "main.go"));
  binary = join(buildDir, "upstream");
  // HOME may be unset (CI, sandboxes): Go's paths live in the temp dir, its build cache in the
  // gitignored node_modules/.cache (a cold cache costs seconds: the standard library is rebuilt without cgo); no network.
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: buildDir, GOCACHE: join(import.meta.dir, "../../node_modules/.cache/go-build"), GOPATH: join(buildDir, "gopath"), GOPROXY: "off", GOTOOLCHAIN: "local", GOFLAGS: "", CGO_ENABLED: "0" };
  const built = Bun.spawnSync([GO!, "build", "-o", binary, "main.go"], { cwd: buildDir, env, stderr: "pipe", stdout: "pipe" });
  if (built.exitCode !== 0) throw new Error(`go build failed:\n${built.stderr.toString()}`);
}

async function startGoUpstream(): Promise<GoUpstream> {
  const proc = Bun.spawn([binary], { stdout: "pipe", stderr: "inherit" });
  const { value } = await proc.stdout.getReader().read();
  const address = new TextDecoder().decode(value).trim().split("\n")[0];
  if (!address) throw new Error("the Go upstream did not print its address");
  const url = `http://${address}/`;
  return {
    url,
    ran: async () => (await (await fetch(url)).json()) as string[],
    stop: () => proc.kill(),
  };
}

/** Request bodies a case-insensitive decoder reads as a call of secret_tool, while JSON.parse reads something the filter allows. */
const EXPLOITS: readonly (readonly [string, string])[] = [
  ["a case variant of params.name (the last one wins in Go)", '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","NAME":"secret_tool"}}'],
  ["a top-level \"paramſ\" (U+017F folds to s)", '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo"},"paramſ":{"name":"secret_tool"}}'],
  ["the same with the long s escaped", '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo"},"param\\u017f":{"name":"secret_tool"}}'],
  ["a case variant of method beside a list request", '{"jsonrpc":"2.0","id":3,"method":"tools/list","Method":"tools/call","params":{"name":"secret_tool"}}'],
  ["a lone \"Method\" in what JSON.parse reads as a response", '{"jsonrpc":"2.0","id":3,"result":{},"Method":"tools/call","params":{"name":"secret_tool"}}'],
];

let upstream: GoUpstream;
let gateway: GatewayUnderTest;

describe.skipIf(!GO)("capability filter against a Go encoding/json upstream (parser differential)", () => {
  beforeAll(async () => {
    buildGoUpstream();
    upstream = await startGoUpstream();
    gateway = await startGateway({
      policies: { policies: [policy("curate", "mcp-capability-filter-inbound", "McpCapabilityFilterInboundPolicy", { tools: ["echo"] })] },
      routes: routesDoc({ "/mcp": { "get,post": mcpRoute("go-upstream", upstream.url, ["curate"]) } }),
    });
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop();
    upstream?.stop();
    rmSync(buildDir, { recursive: true, force: true });
  });

  it("serves the allowed tool and hides the other in the list", async () => {
    const list = (await (await postRpc(`${gateway.url}/mcp`, { jsonrpc: "2.0", id: 1, method: "tools/list" })).json()) as { result: { tools: { name: string }[] } };
    expect(list.result.tools.map((t) => t.name)).toEqual(["echo"]);
    const call = (await (await postRpc(`${gateway.url}/mcp`, { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "echo", arguments: {} } })).json()) as { result: { content: { text: string }[] } };
    expect(call.result.content[0]!.text).toBe("ran echo");
  });

  for (const [what, body] of EXPLOITS) {
    it(`refuses ${what} with -32600, and the upstream never runs secret_tool`, async () => {
      const before = (await upstream.ran()).length;
      const res = await postRpc(`${gateway.url}/mcp`, body);
      expect(res.status).toBe(400);
      const answer = (await res.json()) as { id: unknown; error: { code: number; data: { reasonCode: string; detail: string } } };
      expect(answer.error.code).toBe(-32600);
      expect(answer.error.data.reasonCode).toBe("ambiguous_member");
      expect(answer.id).toBe(3);
      expect((await upstream.ran()).slice(before)).toEqual([]);

      // The same bytes sent straight to the upstream do run the hidden tool: the exploit is real.
      const direct = (await (await postRpc(upstream.url, body)).json()) as { result: { content: { text: string }[] } };
      expect(direct.result.content[0]!.text).toBe("ran secret_tool");
      expect((await upstream.ran()).slice(before)).toEqual(["secret_tool"]);
    });
  }

  it("refuses duplicate member names, which decoders that keep the first would read as secret_tool", async () => {
    const before = (await upstream.ran()).length;
    const res = await postRpc(`${gateway.url}/mcp`, '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"secret_tool","name":"echo"}}');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { data: { reasonCode: string } } }).error.data.reasonCode).toBe("ambiguous_member");
    expect((await upstream.ran()).slice(before)).toEqual([]);
  });

  it("folds every character Go folds together to one name (Go's own Unicode tables)", () => {
    const out = Bun.spawnSync([binary, "folds"], { stdout: "pipe" });
    const pairs = out.stdout.toString().trim().split("\n").map((line) => line.split(" ").map(Number) as [number, number]);
    expect(pairs.length).toBeGreaterThan(1000);
    const missed = pairs.filter(([r, min]) => foldMemberName(String.fromCodePoint(r)) !== foldMemberName(String.fromCodePoint(min)));
    expect(missed.map(([r, min]) => `U+${r.toString(16)} ~ U+${min.toString(16)}`)).toEqual([]);
  });
});

describe.skipIf(Boolean(GO) || !process.env.CI)("Go toolchain in CI", () => {
  it("is installed (.ci/run installs golang-go); the parser-differential test must run in CI", () => {
    expect(GO).not.toBeNull();
  });
});
