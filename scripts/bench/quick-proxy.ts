// A quick, bounded look at what McpProxyHandler costs: a minimal upstream answering fixed JSON-RPC
// bytes, mcpgw in front of it (one route, no policies), and the same requests sent directly and
// through the gateway, 5000 at concurrency 1 and 5000 at concurrency 32. Upstream and gateway are
// separate processes, so the load generator does not share their thread. Twice through the gateway:
// with the log at info (the analytics events written, as in production) and at warn (no events).
//
//   bun --no-env-file scripts/bench/quick-proxy.ts [requests=5000]

import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const REQUEST = new TextEncoder().encode(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { text: "hello" } } }));
const ANSWER = new TextEncoder().encode(JSON.stringify({ result: { content: [{ type: "text", text: "hello" }] }, jsonrpc: "2.0", id: 1 }));

if (process.argv[2] === "--upstream") {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      await request.arrayBuffer();
      return new Response(ANSWER, { headers: { "content-type": "application/json" } });
    },
  });
  console.log(server.port);
  await new Promise(() => undefined);
}

const REQUESTS = Number(process.argv[2] ?? 5000);
const CONCURRENCY = [1, 32];
const REPO = join(import.meta.dir, "../..");
const children: Bun.Subprocess[] = [];
const cleanup = () => {
  for (const c of children) c.kill();
};
process.on("exit", cleanup);

async function freePort(): Promise<number> {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port!;
  await probe.stop(true);
  return port;
}

async function startUpstream(): Promise<string> {
  const proc = Bun.spawn([process.execPath, "--no-env-file", import.meta.path, "--upstream"], { stdout: "pipe", stderr: "inherit" });
  children.push(proc);
  const { value } = await proc.stdout.getReader().read();
  return `http://127.0.0.1:${Number(new TextDecoder().decode(value).trim())}/mcp`;
}

async function startGateway(upstreamUrl: string, logLevel: "info" | "warn"): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "mcpgw-bench-"));
  mkdirSync(join(dir, "config"));
  writeFileSync(join(dir, "zuplo.jsonc"), JSON.stringify({ version: 1, compatibilityDate: "2026-03-01" }));
  writeFileSync(join(dir, "config/policies.json"), JSON.stringify({ policies: [] }));
  writeFileSync(
    join(dir, "config/routes.oas.json"),
    JSON.stringify({
      openapi: "3.1.0",
      info: { title: "bench", version: "1" },
      paths: {
        "/mcp/bench": {
          "get,post": {
            operationId: "bench",
            "x-zuplo-route": { corsPolicy: "none", handler: { module: "$import(@zuplo/runtime/mcp-gateway)", export: "McpProxyHandler", options: { rewritePattern: upstreamUrl } }, policies: { inbound: [] } },
          },
        },
      },
    }),
  );
  const port = await freePort();
  const proc = Bun.spawn([process.execPath, "--no-env-file", join(REPO, "src/cli/main.ts"), "start", "--project", dir, "--port", String(port), "--log-level", logLevel], {
    stdout: "ignore",
    stderr: "inherit",
    env: { PATH: process.env.PATH ?? "" },
  });
  children.push(proc);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/__mcpgw/health/ready`)).ok) return `${url}/mcp/bench`;
    } catch {
      // not listening yet
    }
    await Bun.sleep(25);
  }
  throw new Error("the gateway did not become ready");
}

const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };

async function load(url: string, total: number, concurrency: number): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) {
        const started = performance.now();
        const res = await fetch(url, { method: "POST", headers, body: REQUEST });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`status ${res.status} from ${url}`);
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies;
}

interface Row {
  target: string;
  concurrency: number;
  reqPerSec: number;
  p50: number;
  p99: number;
}

async function measure(target: string, url: string): Promise<Row[]> {
  await load(url, 500, 8);
  const rows: Row[] = [];
  for (const concurrency of CONCURRENCY) {
    const started = performance.now();
    const latencies = await load(url, REQUESTS, concurrency);
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
    rows.push({ target, concurrency, reqPerSec: Math.round(REQUESTS / seconds), p50: at(0.5), p99: at(0.99) });
  }
  return rows;
}

try {
  const upstream = await startUpstream();
  const viaInfo = await startGateway(upstream, "info");
  const viaWarn = await startGateway(upstream, "warn");
  const rows = [...(await measure("direct", upstream)), ...(await measure("gateway, log info (events on)", viaInfo)), ...(await measure("gateway, log warn (events off)", viaWarn))];
  console.log(`mcpgw quick proxy bench — Bun ${Bun.version}, ${REQUESTS} requests per row, ${REQUEST.length} B request, ${ANSWER.length} B answer`);
  console.log(`${"target".padEnd(32)}${"conc".padStart(5)}${"req/s".padStart(9)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}`);
  for (const r of rows) console.log(`${r.target.padEnd(32)}${String(r.concurrency).padStart(5)}${String(r.reqPerSec).padStart(9)}${r.p50.toFixed(3).padStart(9)}${r.p99.toFixed(3).padStart(9)}`);
} finally {
  cleanup();
}
