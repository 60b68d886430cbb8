// A quick, bounded look at what McpProxyHandler costs: a minimal upstream answering fixed JSON-RPC
// bytes, mcpgw in front of it (one route, no policies), and the same requests sent directly and
// through the gateway, 5000 at concurrency 1 and 5000 at concurrency 32. Upstream and gateway are
// separate processes, so the load generator does not share their thread. Twice through the gateway:
// with the log at info (the analytics events written, as in production) and at warn (no events).
// Besides req/s and latency it reports the CPU time the serving process spent per request (from
// /proc/<pid>/stat), which stays meaningful when other work shares the machine.
//
//   bun --no-env-file scripts/bench/quick-proxy.ts [requests=5000]

import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
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

/** CPU seconds (user + system) a process has used so far, or undefined where /proc is not available. */
function cpuSeconds(pid: number): number | undefined {
  const path = `/proc/${pid}/stat`;
  if (!existsSync(path)) return undefined;
  const fields = readFileSync(path, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s (Linux USER_HZ)
}

interface Server {
  url: string;
  pid: number;
}

async function startUpstream(): Promise<Server> {
  const proc = Bun.spawn([process.execPath, "--no-env-file", import.meta.path, "--upstream"], { stdout: "pipe", stderr: "inherit" });
  children.push(proc);
  const { value } = await proc.stdout.getReader().read();
  return { url: `http://127.0.0.1:${Number(new TextDecoder().decode(value).trim())}/mcp`, pid: proc.pid };
}

async function startGateway(upstreamUrl: string, logLevel: "info" | "warn"): Promise<Server> {
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
      if ((await fetch(`${url}/__mcpgw/health/ready`)).ok) return { url: `${url}/mcp/bench`, pid: proc.pid };
    } catch {
      // not listening yet
    }
    await Bun.sleep(25);
  }
  throw new Error("the gateway did not become ready");
}

const loadAverage = () => (existsSync("/proc/loadavg") ? readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ") : "n/a");

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
  /** CPU µs per request of the process serving `target` (the gateway, or the upstream for direct). */
  cpuUs: number | undefined;
}

async function measure(target: string, server: Server): Promise<Row[]> {
  await load(server.url, 500, 8);
  const rows: Row[] = [];
  for (const concurrency of CONCURRENCY) {
    const cpuBefore = cpuSeconds(server.pid);
    const started = performance.now();
    const latencies = await load(server.url, REQUESTS, concurrency);
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = cpuSeconds(server.pid);
    const cpuUs = cpuBefore === undefined || cpuAfter === undefined ? undefined : ((cpuAfter - cpuBefore) * 1e6) / REQUESTS;
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
    rows.push({ target, concurrency, reqPerSec: Math.round(REQUESTS / seconds), p50: at(0.5), p99: at(0.99), cpuUs });
  }
  return rows;
}

try {
  const upstream = await startUpstream();
  const viaInfo = await startGateway(upstream.url, "info");
  const viaWarn = await startGateway(upstream.url, "warn");
  const rows = [...(await measure("direct", upstream)), ...(await measure("gateway, log info (events on)", viaInfo)), ...(await measure("gateway, log warn (events off)", viaWarn))];
  console.log(`mcpgw quick proxy bench — Bun ${Bun.version}, ${REQUESTS} requests per row, ${REQUEST.length} B request, ${ANSWER.length} B answer`);
  console.log(`load average ${loadAverage()} on ${navigator.hardwareConcurrency} CPUs (other work on the machine skews req/s and latency more than CPU µs/req)`);
  console.log(`${"target".padEnd(32)}${"conc".padStart(5)}${"req/s".padStart(9)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}${"CPU µs/req".padStart(12)}`);
  for (const r of rows) {
    const cpu = r.cpuUs === undefined ? "n/a" : r.cpuUs.toFixed(0);
    console.log(`${r.target.padEnd(32)}${String(r.concurrency).padStart(5)}${String(r.reqPerSec).padStart(9)}${r.p50.toFixed(3).padStart(9)}${r.p99.toFixed(3).padStart(9)}${cpu.padStart(12)}`);
  }
} finally {
  cleanup();
}
