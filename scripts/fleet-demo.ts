// `bun scripts/fleet-demo.ts [--seconds N] [--clients N] [--no-bench]`: a fleet on one machine, loopback
// only, bounded. PostgreSQL (a throwaway cluster), one upstream MCP server, two `mcpgw dev` processes on
// the shared store with one fleet key, nginx round-robin in front (no session affinity). Each client is
// the MCP SDK's own client doing its OAuth flow through nginx (so its steps land on both instances),
// then calls a tool in a loop; one gateway is killed with SIGKILL mid-load and started again later. A
// call that fails is retried by the client (up to 3 attempts). At the end: every client's tokens still
// work (access and a refresh through nginx), and the summary says how many calls needed a retry. With
// wrk installed, it then measures tools/call req/s through nginx over both instances and on one.
// Exit code 0 only when no call failed for good and no token was lost.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { MCP_ZUPLO, mcpRoute, routesDoc, writeProject } from "../test/helpers/project.ts";
// The MCP SDK's OAuth provider with the browser leg walked over HTTP (dev-login, consent form, Authorize).
import { HeadlessProvider } from "../test/helpers/sdk-oauth-client.ts";
import { OAUTH_POLICY, oauthPolicy } from "../test/oauth/helpers.ts";
import { runWrk, type LoadResult } from "./bench/load.ts";
import { LISTENING, listeningUrl } from "./bench/mcpgw.ts";
import { REQUEST_BODIES } from "./bench/messages.ts";
import { nginxBinary, nginxConfigAround } from "./bench/nginx.ts";
import { freePort, LISTENING_LINE, spawnManaged, stopAll, waitForPort, which, type ManagedProcess } from "./bench/processes.ts";
import { postgresBinDir, startPostgresCluster, type PostgresCluster } from "./postgres-cluster.ts";

const ROOT = resolve(import.meta.dir, "..");
const ROUTE = "/mcp/fleet";
const MAX_ATTEMPTS = 3;

const { values: args } = parseArgs({ options: { seconds: { type: "string" }, clients: { type: "string" }, "no-bench": { type: "boolean" } } });
const SECONDS = Math.min(60, Math.max(4, Number(args.seconds ?? 9)));
const CLIENTS = Math.min(32, Math.max(1, Number(args.clients ?? 6)));

const started = performance.now();
const say = (line: string) => console.error(`[fleet ${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);

/** nginx over the instances: round-robin, no affinity; a refused connection moves on to the other one. */
function nginxConfig(prefix: string, listenPort: number, instances: readonly string[]): string {
  return nginxConfigAround(
    prefix,
    `  upstream mcpgw_fleet {
${instances.map((i) => `    server ${i} max_fails=1 fail_timeout=2s;`).join("\n")}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${listenPort};
    location / {
      proxy_pass http://mcpgw_fleet;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_buffering off;
      proxy_next_upstream error timeout;
      proxy_connect_timeout 2s;
    }
  }
`,
    { accessLogFormat: { name: "fleet", format: "$status|$upstream_addr" } },
  );
}

interface Worker {
  readonly id: number;
  readonly provider: HeadlessProvider;
  client: Client;
  ok: number;
  retried: number;
  failed: number;
}

async function connect(endpoint: URL, provider: HeadlessProvider): Promise<Client> {
  const client = new Client({ name: "fleet-demo", version: "1.0.0" });
  try {
    await client.connect(new StreamableHTTPClientTransport(endpoint, { authProvider: provider }));
    return client;
  } catch (err) {
    if (!(err instanceof UnauthorizedError) || !provider.code) throw err;
    const transport = new StreamableHTTPClientTransport(endpoint, { authProvider: provider });
    await transport.finishAuth(provider.code);
    const again = new Client({ name: "fleet-demo", version: "1.0.0" });
    await again.connect(new StreamableHTTPClientTransport(endpoint, { authProvider: provider }));
    return again;
  }
}

/** One tools/call; on failure (the instance died under it: nginx answers 502) the client tries again. */
async function callWithRetry(w: Worker, n: number): Promise<void> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    try {
      const result = await w.client.callTool({ name: "echo", arguments: { text: `client ${w.id} call ${n}` } });
      const text = (result.content as { text?: string }[])[0]?.text;
      if (text !== `client ${w.id} call ${n}`) throw new Error(`unexpected answer ${JSON.stringify(result)}`);
      w.ok++;
      if (attempt > 1) w.retried++;
      return;
    } catch (err) {
      if (attempt === MAX_ATTEMPTS) {
        w.failed++;
        say(`client ${w.id}: call ${n} failed ${MAX_ATTEMPTS} times: ${(err as Error).message}`);
        return;
      }
      await Bun.sleep(50 * attempt);
    }
  }
}

async function startInstance(name: string, projectDir: string, dir: string, storeUrl: string, key: string): Promise<{ process: ManagedProcess; origin: string }> {
  const dataDir = mkdtempSync(join(dir, `${name}-data-`));
  const proc = await spawnManaged({
    name,
    cmd: [process.execPath, "--no-env-file", join(ROOT, "src/cli/main.ts"), "dev", "--project", projectDir, "--port", "0", "--data-dir", dataDir, "--store", storeUrl, "--log-level", "info"],
    env: { MCPGW_DATA_KEY: key, BUN_CONFIG_MAX_HTTP_REQUESTS: "65535" },
    logFile: join(dir, `${name}.log`),
    ready: LISTENING,
  });
  return { process: proc, origin: listeningUrl(proc.ready[0]) };
}

/** The dev_login_link `mcpgw dev` logs right after it listens (a JSON line in its log file). */
async function devLoginLinkIn(logFile: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    for (const line of readFileSync(logFile, "utf8").split("\n")) {
      if (!line.includes('"dev_login_link"')) continue;
      const url = (JSON.parse(line) as { url?: string }).url;
      if (url) return url;
    }
    await Bun.sleep(50);
  }
  throw new Error(`no dev_login_link line in ${logFile}`);
}

function nginxCounts(accessLog: string): { byInstance: Map<string, number>; status502: number } {
  const byInstance = new Map<string, number>();
  let status502 = 0;
  for (const line of readFileSync(accessLog, "utf8").split("\n")) {
    const [status, upstream] = line.split("|");
    if (!status) continue;
    if (status === "502") status502++;
    for (const addr of (upstream ?? "").split(", ")) if (addr && addr !== "-") byInstance.set(addr, (byInstance.get(addr) ?? 0) + 1);
  }
  return { byInstance, status502 };
}

async function main(): Promise<number> {
  const nginx = nginxBinary();
  const pgBin = postgresBinDir();
  if (!nginx || !pgBin) {
    say(`needs nginx and PostgreSQL (apt-get install nginx postgresql): ${!nginx ? "nginx missing " : ""}${!pgBin ? "postgresql missing" : ""}`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), "mcpgw-fleet-"));
  let cluster: PostgresCluster | undefined;
  try {
    cluster = await startPostgresCluster(pgBin);
    const storeUrl = await cluster.createDatabase("mcpgw_fleet");
    say(`PostgreSQL ${cluster.url.replace(/\/postgres$/, "/mcpgw_fleet")}`);
    const upstream = await spawnManaged({ name: "upstream", cmd: [process.execPath, join(ROOT, "scripts/bench/upstreams.ts"), "sdk"], logFile: join(dir, "upstream.log"), ready: LISTENING_LINE });
    const upstreamUrl = upstream.ready[1]!;
    const nginxPort = freePort();
    const publicOrigin = `http://127.0.0.1:${nginxPort}`;
    const projectDir = writeProject({
      // Every client reaches the gateways from nginx's address: the per-address OAuth endpoint limits
      // (register 20/min…) would count them all as one client, so they are off for the demo.
      zuplo: { ...MCP_ZUPLO, mcpgw: { publicOrigin, oauth: { tokenCacheSeconds: 10, rateLimits: { register: false, authorize: false, token: false } } } },
      policies: { policies: [oauthPolicy()] },
      routes: routesDoc({ [ROUTE]: { "get,post": mcpRoute("fleet", upstreamUrl, [OAUTH_POLICY]) } }),
    });
    const key = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    const [a, b] = await Promise.all([startInstance("gateway-a", projectDir, dir, storeUrl, key), startInstance("gateway-b", projectDir, dir, storeUrl, key)]);
    say(`gateway-a ${a.origin}, gateway-b ${b.origin} (one store, one fleet key)`);

    const prefix = join(dir, "nginx");
    mkdirSync(join(prefix, "tmp"), { recursive: true, mode: 0o777 });
    const hostOf = (origin: string) => new URL(origin).host;
    await Bun.write(join(prefix, "nginx.conf"), nginxConfig(prefix, nginxPort, [hostOf(a.origin), hostOf(b.origin)]));
    const proxy = await spawnManaged({ name: "nginx", cmd: [nginx, "-p", prefix, "-c", "nginx.conf", "-e", join(prefix, "error.log"), "-g", "daemon off;"], logFile: join(dir, "nginx.out.log"), ready: /^/ });
    await waitForPort(`${publicOrigin}/__mcpgw/health/ready`, 5_000, "nginx");
    say(`nginx round-robin on ${publicOrigin}`);

    // dev-login answers only browsers that opened the start-up link once. Its key comes from the fleet
    // key, so gateway-a's link, opened through nginx, is good on whichever instance serves the sign-in.
    const printed = new URL(await devLoginLinkIn(join(dir, "gateway-a.log")));
    const devLoginLink = `${publicOrigin}${printed.pathname}${printed.search}`;

    // Every client's OAuth flow (PRM → AS metadata → DCR → authorize → dev-login → consent → token) through nginx.
    const endpoint = new URL(`${publicOrigin}${ROUTE}`);
    const workers: Worker[] = [];
    for (let id = 0; id < CLIENTS; id++) {
      const provider = new HeadlessProvider(undefined, devLoginLink);
      workers.push({ id, provider, client: await connect(endpoint, provider), ok: 0, retried: 0, failed: 0 });
    }
    say(`${CLIENTS} SDK clients signed in through nginx (DCR, PKCE, dev-login, consent, token)`);

    const deadline = performance.now() + SECONDS * 1000;
    const killAt = performance.now() + SECONDS * 300;
    const restartAt = performance.now() + SECONDS * 450;
    let replacement: { process: ManagedProcess; origin: string } | undefined;
    const chaos = (async () => {
      await Bun.sleep(killAt - performance.now());
      process.kill(a.process.pid, "SIGKILL");
      say(`kill -9 gateway-a (pid ${a.process.pid}) under load`);
      await Bun.sleep(Math.max(0, restartAt - performance.now()));
      // The replacement listens on a new port: nginx needs it in its config (a rolling reload, docs/fleet.md).
      replacement = await startInstance("gateway-a2", projectDir, dir, storeUrl, key);
      await Bun.write(join(prefix, "nginx.conf"), nginxConfig(prefix, nginxPort, [hostOf(replacement.origin), hostOf(b.origin)]));
      process.kill(proxy.pid, "SIGHUP");
      say(`gateway-a2 listening on ${replacement.origin}; nginx reloaded with it`);
    })();
    const loadStarted = performance.now();
    await Promise.all(
      workers.map(async (w) => {
        for (let n = 0; performance.now() < deadline; n++) await callWithRetry(w, n);
      }),
    );
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    await chaos;

    // No lost tokens: every client's access token still works, and its refresh token rotates, through nginx.
    let tokensLost = 0;
    for (const w of workers) {
      const tokens = w.provider.saved!;
      const call = await fetch(endpoint, {
        method: "POST",
        headers: { authorization: `Bearer ${tokens.access_token}`, "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25" },
        body: REQUEST_BODIES["tools/list"],
      });
      await call.arrayBuffer();
      const refreshed = await fetch(`${publicOrigin}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: tokens.refresh_token!, client_id: w.provider.client!.client_id }),
      });
      await refreshed.arrayBuffer();
      if (call.status !== 200 || refreshed.status !== 200) {
        tokensLost++;
        say(`client ${w.id}: access token answered ${call.status}, refresh ${refreshed.status}`);
      }
    }
    for (const w of workers) await w.client.close().catch(() => {});

    const ok = workers.reduce((n, w) => n + w.ok, 0);
    const retried = workers.reduce((n, w) => n + w.retried, 0);
    const failed = workers.reduce((n, w) => n + w.failed, 0);
    const counts = nginxCounts(join(prefix, "access.log"));
    const fleetLoad: Array<[string, LoadResult]> = [];
    const wrk = which("wrk");
    if (!args["no-bench"] && wrk && replacement) {
      // Full chain (nginx → mcpgw with OAuth → upstream) at c=64 on tools/call: two instances, then one.
      const token = workers[0]!.provider.saved!.access_token;
      const headers = { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25" };
      const spec = { body: REQUEST_BODIES["tools/call"], headers, connections: 64, durationS: 5, wrk, scriptDir: dir };
      await runWrk({ ...spec, url: endpoint.href, durationS: 1 });
      fleetLoad.push(["nginx → 2 instances", await runWrk({ ...spec, url: endpoint.href })]);
      await runWrk({ ...spec, url: `${b.origin}${ROUTE}`, durationS: 1 });
      fleetLoad.push(["one instance, direct", await runWrk({ ...spec, url: `${b.origin}${ROUTE}` })]);
    }

    console.log(`\n## Fleet demo: 2 × mcpgw on one PostgreSQL behind nginx round-robin\n`);
    console.log(`- ${CLIENTS} MCP SDK clients, OAuth through nginx; tools/call for ${loadSeconds.toFixed(1)} s; gateway-a killed with SIGKILL at ${(SECONDS * 0.3).toFixed(1)} s, gateway-a2 started at ${(SECONDS * 0.45).toFixed(1)} s`);
    console.log(`- calls: ${ok} succeeded (${(ok / loadSeconds).toFixed(0)}/s), ${retried} needed a retry by the client, ${failed} failed after ${MAX_ATTEMPTS} attempts`);
    console.log(`- nginx: ${counts.status502} answers 502 (requests in flight on the killed instance); served per instance: ${[...counts.byInstance].map(([k, v]) => `${k} ${v}`).join(", ")}`);
    console.log(`- tokens: ${CLIENTS - tokensLost}/${CLIENTS} access tokens still valid and refresh tokens rotated through nginx after the kill${tokensLost ? ` — ${tokensLost} LOST` : ""}`);
    for (const [label, r] of fleetLoad) console.log(`- wrk c=64 tools/call, ${label}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, non-2xx ${r.non2xx}`);
    const pass = failed === 0 && tokensLost === 0 && ok > 0;
    console.log(`\n${pass ? "PASS" : "FAIL"}: ${pass ? "no call lost, no token lost" : "see above"}\n`);
    return pass ? 0 : 1;
  } finally {
    await stopAll();
    cluster?.stop();
    if (!process.env.KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
    else say(`logs kept in ${dir}`);
  }
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(err);
  return 1;
});
