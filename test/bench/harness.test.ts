import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve, type RunningGateway } from "../../src/cli/serve.ts";
import { consentPage } from "../../src/oauth/pages.ts";
import { parseBenchArgs } from "../../scripts/bench/cli.ts";
import { parseWrkOutput, parseWrkTime, percentile, runMiniLoad, runWrk, wrkScript } from "../../scripts/bench/load.ts";
import { checkIdentity } from "../../scripts/bench/matrix.ts";
import { removeBenchProjects, ROUTE_PATH, writeBenchProject } from "../../scripts/bench/mcpgw.ts";
import { REQUEST_BODIES, sniffMessage, type BenchMethod } from "../../scripts/bench/messages.ts";
import { naiveProxy } from "../../scripts/bench/naive-hono-proxy.ts";
import { nginxBinary, nginxConfig, startNginx } from "../../scripts/bench/nginx.ts";
import { obtainAccessToken, OAuthUnavailable, parseConsentForm } from "../../scripts/bench/oauth-client.ts";
import { parseOpenFileLimit, parseStatTicks, parseVmRssKb, sampleProcess } from "../../scripts/bench/procstat.ts";
import { which } from "../../scripts/bench/processes.ts";
import { aggregate, matrixMarkdown, median, spreadPercent, stat, type CellResult, type TargetSummary } from "../../scripts/bench/report.ts";
import { baselineOf, PROTOCOL_HEADERS, targetSpec, type RunningTarget, type TargetId } from "../../scripts/bench/targets.ts";
import { startMinimalUpstream, startSseHoldUpstream, type RunningUpstream } from "../../scripts/bench/upstreams.ts";

// The benchmark harness (scripts/bench, issue #13) must not rot between full runs: its pure parts are
// checked here, and its core runs in process for a few hundred requests (no wrk or nginx needed; the
// parts that use them run only when they are installed).

const temps: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  removeBenchProjects();
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const WRK_REPORT = `Running 3s test @ http://127.0.0.1:8080/mcp
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   512.34us  100.12us   5.00ms   90.00%
    Req/Sec    30.12k     1.23k   32.00k    80.00%
  Latency Distribution
     50%  500.00us
     75%  550.00us
     90%  600.00us
     99%    1.20ms
  90000 requests in 3.00s, 20.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 5
Requests/sec:  30000.00
Transfer/sec:      6.67MB
`;

describe("wrk runner", () => {
  it("parses the report: throughput, percentiles, non-2xx and socket errors", () => {
    const r = parseWrkOutput(WRK_REPORT);
    expect(r).toMatchObject({ requests: 90000, durationS: 3, rps: 30000, p50Ms: 0.5, p90Ms: 0.6, p99Ms: 1.2, non2xx: 5 });
    expect(r.socketErrors).toEqual({ connect: 0, read: 2, write: 0, timeout: 1 });
  });

  it("reads every unit wrk prints", () => {
    expect([parseWrkTime("250.00us"), parseWrkTime("1.50ms"), parseWrkTime("2.00s"), parseWrkTime("1.00m")]).toEqual([0.25, 1.5, 2000, 60000]);
  });

  it("refuses a report without a request count", () => {
    expect(() => parseWrkOutput("unable to connect to 127.0.0.1:1 Connection refused")).toThrow(/cannot parse/);
  });

  it("writes a Lua script whose table keys are not mistaken for long strings", () => {
    const script = wrkScript('{"a":"]=]"}', { authorization: "Bearer x" });
    expect(script).toContain('wrk.method = "POST"');
    expect(script).toContain("wrk.body = [==[{\"a\":\"]=]\"}]==]");
    expect(script).toContain("wrk.headers[ [=[authorization]=] ] = [=[Bearer x]=]");
  });
});

describe("procstat", () => {
  it("finds utime and stime after a comm with spaces and parentheses", () => {
    const stat = "1234 (my (odd) proc) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 1 0 100 1000 50";
    expect(parseStatTicks(stat)).toEqual({ utime: 250, stime: 75 });
  });

  it("reads VmRSS and the fd limit", () => {
    expect(parseVmRssKb("Name:\tbun\nVmRSS:\t   51234 kB\n")).toBe(51234);
    expect(parseOpenFileLimit("Max open files            1024                 524288               files\n")).toEqual({ soft: 1024, hard: 524288 });
  });

  it("samples this process", () => {
    const s = sampleProcess(process.pid);
    expect(s.cpuMicros).toBeGreaterThan(0);
    expect(s.rssKb).toBeGreaterThan(1024);
  });
});

describe("report", () => {
  const load = (rps: number, p50Ms: number, requests = rps * 3) => ({
    generator: "wrk" as const,
    requests,
    durationS: 3,
    rps,
    p50Ms,
    p90Ms: p50Ms * 2,
    p99Ms: p50Ms * 4,
    non2xx: 0,
    socketErrors: { connect: 0, read: 0, write: 0, timeout: 0 },
  });
  const summary = (id: TargetId): TargetSummary => {
    const spec = targetSpec(id);
    return { id, label: spec.label, role: spec.role, what: spec.what, baseline: baselineOf(spec), upstream: spec.upstream, notes: [], identity: [] };
  };
  const targets = (["direct-minimal", "nginx", "naive-hono", "mcpgw"] as const).map(summary);
  const cell = (target: TargetId, run: number, rps: number, p50Ms: number, cpuMicros: number): CellResult => ({
    run,
    target,
    method: "tools/call",
    connections: 16,
    load: load(rps, p50Ms),
    cpuMicros,
    rssKb: 50 * 1024,
  });
  const cells = [
    cell("direct-minimal", 1, 40_000, 0.3, 120_000 * 10),
    cell("direct-minimal", 2, 44_000, 0.3, 132_000 * 10),
    cell("nginx", 1, 30_000, 0.45, 90_000 * 15),
    cell("nginx", 2, 30_000, 0.45, 90_000 * 15),
    cell("naive-hono", 1, 10_000, 1.5, 30_000 * 40),
    cell("naive-hono", 2, 10_000, 1.5, 30_000 * 40),
    cell("mcpgw", 1, 5_000, 3.0, 15_000 * 160),
    cell("mcpgw", 2, 7_000, 3.4, 21_000 * 160),
  ];

  it("takes medians and the spread over runs", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(spreadPercent(stat([90, 110]))).toBeCloseTo(10);
  });

  it("computes added p50 and the ratios to direct, nginx and the hono proxy", () => {
    const mcpgw = aggregate(cells, targets).find((r) => r.target === "mcpgw")!;
    expect(mcpgw.rps.median).toBe(6_000);
    expect(mcpgw.addedP50Ms).toBeCloseTo(3.2 - 0.3);
    expect(mcpgw.vsDirect).toBeCloseTo(6_000 / 42_000);
    expect(mcpgw.vsNginx).toBeCloseTo(6_000 / 30_000);
    expect(mcpgw.vsHono).toBeCloseTo(6_000 / 10_000);
    expect(mcpgw.cpuPerRequestUs.median).toBeCloseTo(160);
    expect(mcpgw.cpuVsNginx).toBeCloseTo(160 / 15);
    expect(mcpgw.cpuVsHono).toBeCloseTo(160 / 40);
  });

  it("gives no ratios to the direct baseline itself", () => {
    const direct = aggregate(cells, targets).find((r) => r.target === "direct-minimal")!;
    expect([direct.addedP50Ms, direct.vsDirect, direct.vsNginx, direct.vsHono]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it("renders one table per method, skipped targets and identity checks", () => {
    const withSkip = [...targets, { ...summary("civic-passthrough"), skipped: "cannot install the peer" }];
    withSkip[3] = { ...withSkip[3]!, identity: [{ method: "tools/call", identical: true, detail: "" }] };
    const md = matrixMarkdown(aggregate(cells, withSkip), withSkip);
    expect(md).toContain("#### `tools/call`");
    expect(md).toMatch(/\| mcpgw \(no policies\) \| 16 \| 6000 ±17% \| 3\.20 ±6% \|/);
    expect(md).toContain("0.14×");
    expect(md).toContain("**@civic/passthrough-mcp-server**: skipped: cannot install the peer");
    expect(md).toContain("mcpgw (no policies): tools/call byte-identical");
  });
});

describe("harness pieces", () => {
  it("generates an nginx config that keeps every path in its own directory", () => {
    const conf = nginxConfig({ prefixDir: "/tmp/x", listenPort: 18080, upstream: "127.0.0.1:9999" });
    expect(conf).toContain("worker_processes 1;");
    expect(conf).toContain("listen 127.0.0.1:18080;");
    expect(conf).toContain("server 127.0.0.1:9999;");
    expect(conf).toContain("keepalive 128;");
    expect(conf).toContain('proxy_set_header Connection "";');
    const paths = [...conf.matchAll(/^\s*(?:pid|error_log|access_log|\w+_temp_path) (\S+?);?(?: \w+)?;?$/gm)].map((m) => m[1]!);
    expect(paths).toHaveLength(8);
    expect(paths.every((path) => path.startsWith("/tmp/x/"))).toBe(true);
  });

  it("finds the hidden fields of the gateway's real consent page", () => {
    const html = consentPage({
      clientName: "A & B",
      clientOrigin: "registered with this gateway",
      redirectHost: "127.0.0.1",
      redirectKind: "loopback",
      routeName: "Bench",
      operationId: "bench",
      routeUrl: "http://127.0.0.1/mcp/bench",
      subject: "dev",
      scope: "mcp",
      formAction: "/oauth/setup",
      requestId: "areq_1",
      csrfToken: 'csrf_"x"',
      localCimd: false,
    });
    expect(parseConsentForm(html)).toEqual({ action: "/oauth/setup", fields: { request: "areq_1", csrf_token: 'csrf_"x"' } });
  });

  it("sniffs method and raw id without parsing", () => {
    expect(sniffMessage('{"jsonrpc":"2.0","id":"a\\"b","method":"tools/call"}')).toEqual({ method: "tools/call", idText: '"a\\"b"', protocolVersion: undefined });
  });

  it("parses options: quick defaults, lists, bounds and help", () => {
    const quick = parseBenchArgs(["--quick"]);
    expect(quick).toMatchObject({ runs: 1, durationS: 1, concurrencies: [1, 16] });
    expect(parseBenchArgs(["--help"])).toBe("help");
    expect(parseBenchArgs(["--targets", "mcpgw,nginx", "--concurrency", "2,4"])).toMatchObject({ targets: ["mcpgw", "nginx"], concurrencies: [2, 4] });
    expect(() => parseBenchArgs(["--soak-seconds", "601"])).toThrow(/10 to 600/);
    expect(() => parseBenchArgs(["--targets", "envoy"])).toThrow(/unknown "envoy"/);
  });

  it("computes nearest-rank percentiles", () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
  });
});

describe("quick core, in process", () => {
  const TOKEN = "bench-test-token";
  let upstream: RunningUpstream;
  let proxy: ReturnType<typeof Bun.serve>;
  let gateway: RunningGateway;
  let oauthGateway: RunningGateway;
  const started: RunningTarget[] = [];
  const target = (id: TargetId, url: string, headers: Record<string, string> = {}): RunningTarget => ({
    spec: targetSpec(id),
    url,
    headers: { ...PROTOCOL_HEADERS, ...headers },
    pid: process.pid,
    notes: [],
    stop: async () => {},
  });
  const serveProject = (projectDir: string, mode: "dev" | "start") =>
    serve({ projectDir, port: 0, host: "127.0.0.1", dataDir: tempDir("mcpgw-bench-data-"), logLevel: "silent", logFormat: "json" }, mode, {});

  beforeAll(async () => {
    upstream = startMinimalUpstream("json");
    proxy = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: naiveProxy(upstream.url, new Map([[TOKEN, "u"]])).fetch });
    gateway = await serveProject(writeBenchProject(upstream.url, "plain"), "start");
    oauthGateway = await serveProject(writeBenchProject(upstream.url, "oauth-filter"), "dev");
    started.push(
      target("direct-minimal", upstream.url),
      target("naive-hono", `http://127.0.0.1:${proxy.port}/mcp`, { authorization: `Bearer ${TOKEN}` }),
      target("mcpgw", `${gateway.url}${ROUTE_PATH}`),
    );
  });
  afterAll(async () => {
    await gateway?.stop();
    await oauthGateway?.stop();
    void proxy?.stop(true);
    upstream?.stop();
  });

  it("loads each target with a 200-request mini load and reports rows and ratios", async () => {
    const cells: CellResult[] = [];
    for (const t of started) {
      for (const method of ["tools/call", "tools/list"] as BenchMethod[]) {
        const before = sampleProcess(process.pid);
        const result = await runMiniLoad({ url: t.url, body: REQUEST_BODIES[method], headers: t.headers, connections: 8, requests: 200 });
        const after = sampleProcess(process.pid);
        expect(result.requests).toBe(200);
        expect(result.non2xx + result.socketErrors.read).toBe(0);
        cells.push({ run: 1, target: t.spec.id, method, connections: 8, load: result, cpuMicros: after.cpuMicros - before.cpuMicros, rssKb: after.rssKb });
      }
    }
    const summaries = started.map((t) => ({ id: t.spec.id, label: t.spec.label, role: t.spec.role, what: t.spec.what, baseline: baselineOf(t.spec), upstream: t.spec.upstream, notes: [], identity: [] }));
    const rows = aggregate(cells, summaries);
    expect(rows).toHaveLength(6);
    const mcpgwCall = rows.find((r) => r.target === "mcpgw" && r.method === "tools/call")!;
    expect(mcpgwCall.vsDirect).toBeGreaterThan(0);
    expect(mcpgwCall.vsHono).toBeGreaterThan(0);
    expect(mcpgwCall.addedP50Ms).toBeDefined();
    expect(matrixMarkdown(rows, summaries).split("\n").filter((l) => l.startsWith("| mcpgw"))).toHaveLength(2);
  });

  it("finds the naive proxy and mcpgw byte-identical to the direct answer", async () => {
    const [direct, hono, mcpgw] = started;
    for (const t of [hono!, mcpgw!]) {
      expect((await checkIdentity(t, direct!, ["tools/call", "tools/list"])).map((c) => c.identical)).toEqual([true, true]);
    }
  });

  it("obtains a token through the real OAuth flow and passes the full chain with it", async () => {
    const routeUrl = `${oauthGateway.url}${ROUTE_PATH}`;
    const token = await obtainAccessToken(oauthGateway.url, routeUrl, oauthGateway.devLoginUrl);
    const denied = await fetch(routeUrl, { method: "POST", headers: PROTOCOL_HEADERS, body: REQUEST_BODIES["tools/list"] });
    expect(denied.status).toBe(401);
    await denied.arrayBuffer();
    const result = await runMiniLoad({ url: routeUrl, body: REQUEST_BODIES["tools/call"], headers: { ...PROTOCOL_HEADERS, authorization: `Bearer ${token}` }, connections: 4, requests: 50 });
    expect(result.requests).toBe(50);
    expect(result.non2xx).toBe(0);
  });

  it("says the OAuth server is not available when the gateway has no OAuth endpoints", async () => {
    await expect(obtainAccessToken(gateway.url, `${gateway.url}${ROUTE_PATH}`)).rejects.toBeInstanceOf(OAuthUnavailable);
  });

  it("keeps SSE streams open with keepalives and counts them closed when the client leaves", async () => {
    const hold = startSseHoldUpstream(0, 50);
    try {
      const controller = new AbortController();
      const response = await fetch(hold.url, { method: "POST", headers: PROTOCOL_HEADERS, body: REQUEST_BODIES["tools/call"], signal: controller.signal });
      const reader = response.body!.getReader();
      let text = "";
      while (!text.includes(": ping")) text += new TextDecoder().decode((await reader.read()).value);
      expect(hold.stats()).toMatchObject({ open: 1, opened: 1 });
      controller.abort();
      for (let i = 0; i < 100 && hold.stats().open > 0; i++) await Bun.sleep(10);
      expect(hold.stats()).toMatchObject({ open: 0, closed: 1 });
    } finally {
      hold.stop();
    }
  });

  it.skipIf(!which("wrk"))("runs a 1 s wrk cell against the minimal responder (needs wrk)", async () => {
    const r = await runWrk({ wrk: which("wrk")!, url: upstream.url, body: REQUEST_BODIES["tools/list"], headers: PROTOCOL_HEADERS, connections: 4, durationS: 1, scriptDir: tempDir("mcpgw-bench-wrk-") });
    expect(r.requests).toBeGreaterThan(100);
    expect(r.non2xx).toBe(0);
  });

  it.skipIf(!nginxBinary())("proxies through nginx byte for byte (needs nginx)", async () => {
    const nginx = await startNginx(nginxBinary()!, upstream.url, tempDir("mcpgw-bench-nginx-"));
    try {
      expect((await checkIdentity(target("nginx", nginx.url), started[0]!, ["tools/list"]))[0]!.identical).toBe(true);
    } finally {
      await nginx.process.stop();
    }
  });
});

if (!which("wrk")) console.warn("test/bench: wrk is not installed; the wrk cell test is skipped (apt-get install wrk)");
if (!nginxBinary()) console.warn("test/bench: nginx is not installed; the nginx test is skipped (apt-get install nginx)");
