// The gateway's own JavaScript per request, measured without sockets: the real serve() (real project,
// store, OAuth token from the real flow, policies, log stream to a discarding sink) answers Requests
// handed to it in process, and the upstream `fetch()` is replaced by one that answers the minimal
// upstream's bytes at once. The same is done for the naive hono proxy. What is left is what each
// spends in JS per call: the part of the CPU per request a code change can move, without the noise of
// a shared machine's network stack (the wrk matrix in run.ts measures the whole). Not a mock in a
// test: a measuring instrument, and it says what it replaces.
//
//   bun --no-env-file scripts/bench/hot-path.ts [requests=30000]

import { join } from "node:path";
import { serve } from "../../src/cli/serve.ts";
import { writeBenchProject, removeBenchProjects, ROUTE_PATH, type GatewayProfile } from "./mcpgw.ts";
import { REQUEST_BODIES, answerTemplate, type BenchMethod } from "./messages.ts";
import { naiveProxy } from "./naive-hono-proxy.ts";
import { obtainAccessToken } from "./oauth-client.ts";
import { PROTOCOL_HEADERS } from "./targets.ts";

const REQUESTS = Number(process.argv[2] ?? 30_000);
const realFetch = globalThis.fetch;

/** The minimal upstream's answer for a method, as fixed bytes with their length (a buffered JSON answer). */
function cannedAnswer(method: BenchMethod, id: string): Uint8Array<ArrayBuffer> {
  const t = answerTemplate(method)!;
  return new TextEncoder().encode(t.before + id + t.after);
}

function stubUpstream(): void {
  const answers = new Map<string, Uint8Array<ArrayBuffer>>();
  globalThis.fetch = (async (_url: string, init: RequestInit) => {
    const body = typeof init.body === "string" ? init.body : new TextDecoder().decode(init.body as Uint8Array);
    const method = (JSON.parse(body) as { method: BenchMethod }).method;
    let bytes = answers.get(method);
    if (!bytes) answers.set(method, (bytes = cannedAnswer(method, method === "tools/list" ? "1" : "2")));
    return new Response(bytes, { headers: { "content-type": "application/json", "content-length": String(bytes.byteLength), date: new Date().toUTCString() } });
  }) as typeof fetch;
}

type Handler = (request: Request) => Response | Promise<Response>;

async function measure(handler: Handler, url: string, headers: Record<string, string>, method: BenchMethod): Promise<number> {
  const body = REQUEST_BODIES[method];
  // As wrk and every MCP client send it: with a Content-Length (a body without one is read as chunked).
  headers = { ...headers, "content-length": String(Buffer.byteLength(body)) };
  const once = async () => {
    const response = await handler(new Request(url, { method: "POST", headers, body }));
    if (response.status !== 200) throw new Error(`${url}: ${response.status} ${await response.text()}`);
    await response.bytes();
  };
  for (let i = 0; i < 3_000; i++) await once();
  Bun.gc(true);
  const before = process.cpuUsage();
  for (let i = 0; i < REQUESTS; i++) await once();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / REQUESTS;
}

const discard = { write: () => undefined };
const results: string[] = [];
try {
  const only = process.env.HOT_PATH_PROFILE as GatewayProfile | undefined;
  const profiles: GatewayProfile[] = only ? [only] : ["plain", "oauth-filter"];
  const gateways = [];
  for (const profile of profiles) {
    const projectDir = writeBenchProject("http://127.0.0.1:9/mcp", profile);
    const mode = profile === "oauth-filter" ? "dev" : "start";
    const gw = await serve({ projectDir, port: 0, host: "127.0.0.1", dataDir: join(projectDir, ".mcpgw"), logLevel: (process.env.HOT_PATH_LOG_LEVEL ?? "info") as "info", logFormat: "json" }, mode, {}, { sink: discard });
    const headers: Record<string, string> = { ...PROTOCOL_HEADERS, host: new URL(gw.url).host };
    if (profile === "oauth-filter") headers.authorization = `Bearer ${await obtainAccessToken(gw.url, `${gw.url}${ROUTE_PATH}`, gw.devLoginUrl)}`;
    gateways.push({ profile, gw, headers });
  }
  const hono = naiveProxy("http://127.0.0.1:9/mcp", new Map([["t0k3n", "bench-user"]]));
  stubUpstream();
  const methods: BenchMethod[] = process.env.HOT_PATH_METHOD ? [process.env.HOT_PATH_METHOD as BenchMethod] : ["tools/call", "tools/list"];
  for (const method of methods) {
    for (let round = 0; round < Number(process.env.HOT_PATH_ROUNDS ?? 2); round++) {
      const honoUs = await measure((r) => hono.fetch(r), "http://127.0.0.1/mcp", { ...PROTOCOL_HEADERS, authorization: "Bearer t0k3n" }, method);
      const row = [`${method} round ${round + 1}: hono ${honoUs.toFixed(1)} µs`];
      for (const { profile, gw, headers } of gateways) {
        const us = await measure((r) => gw.handle(r, "127.0.0.1"), `${gw.url}${ROUTE_PATH}`, headers, method);
        row.push(`mcpgw ${profile} ${us.toFixed(1)} µs (${(us - honoUs >= 0 ? "+" : "") + (us - honoUs).toFixed(1)})`);
      }
      results.push(row.join(" · "));
      console.log(row.join(" · "));
    }
  }
  globalThis.fetch = realFetch;
  for (const { gw } of gateways) await gw.stop();
} finally {
  globalThis.fetch = realFetch;
  removeBenchProjects();
}
