// The compiled linux-x64 binary, built the way `npm run release` builds it, run as a downloaded binary
// would be: from a directory with no node_modules, with only PATH and HOME in its environment.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "bun:test";
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildStamp, compile, hostTarget, type BuildStamp } from "../../scripts/compile.ts";
import { REPO, runCli, spawnCli, type CliRun } from "../helpers/cli.ts";
import { startNotifyReceiver } from "../helpers/notify-receiver.ts";
import { connectAndCall, HeadlessProvider } from "../helpers/sdk-oauth-client.ts";
import { mcpRoute, routesDoc, writeProject } from "../helpers/project.ts";

let buildDir: string;
let binary: string;
let stamp: BuildStamp;
beforeAll(async () => {
  buildDir = mkdtempSync(join(tmpdir(), "mcpgw-binary-"));
  binary = join(buildDir, "mcpgw");
  stamp = await buildStamp();
  await compile({ target: hostTarget(), outfile: binary, stamp });
}, 120_000);
afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

const running: CliRun[] = [];
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) if (r.proc.exitCode === null) await r.stop("SIGKILL");
  for (const stop of cleanup.splice(0)) await stop();
});
const startBinary = (args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) => {
  const run = spawnCli(args, { ...options, command: [binary] });
  running.push(run);
  return run;
};
const rpc = (url: string, body: object) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body: JSON.stringify(body) });

describe("the compiled binary", () => {
  it("prints the version, commit and build date baked in at build time", async () => {
    const r = await runCli(["--version"], { command: [binary] });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`mcpgw ${stamp.version} (commit ${stamp.commit}, built ${stamp.date}, ${hostTarget()})`);
    expect(stamp.commit).toMatch(/^[0-9a-f]{12}(-dirty)?$/);
    expect(Number.isNaN(Date.parse(stamp.date))).toBe(false);
  });

  it("serves the example project from a directory with nothing else in it, and tells systemd it is ready from its own pid", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mcpgw-example-"));
    cpSync(join(REPO, "zuplo.jsonc"), join(dir, "zuplo.jsonc"));
    cpSync(join(REPO, "config"), join(dir, "config"), { recursive: true });
    expect((await runCli(["validate"], { command: [binary], cwd: dir })).code).toBe(0);

    const notify = await startNotifyReceiver(join(dir, "notify.sock"));
    cleanup.push(notify.stop);
    const run = startBinary(["start", "--port", "0"], { cwd: dir, env: { NOTIFY_SOCKET: join(dir, "notify.sock") } });
    const url = await run.url();
    expect(await (await fetch(`${url}/__mcpgw/health/ready`)).json()).toEqual({ status: "ready" });
    const call = await rpc(`${url}/mcp/demo-public-v1`, { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "add", arguments: { a: 2, b: 3 } } });
    expect(((await call.json()) as { result: { structuredContent: unknown } }).result.structuredContent).toEqual({ sum: 5 });
    expect((await rpc(`${url}/mcp/demo-v1`, { jsonrpc: "2.0", id: 2, method: "tools/list" })).status).toBe(401);
    // The re-exec that raises Bun's fetch limit is execve(2): same pid, so systemd's MAINPID stays right.
    expect(await notify.next((m) => m.fields.READY === "1")).toMatchObject({ pid: run.proc.pid });
    expect(run.lines.some((l) => l.includes("upstream_concurrency_limited"))).toBe(false);
    expect(await run.stop("SIGTERM")).toBe(0);
    // The data directory defaults to .mcpgw/ in the project, here the directory it was started in.
    expect(readdirSync(join(dir, ".mcpgw")).sort()).toEqual(expect.arrayContaining(["mcpgw.sqlite", "secret.key"]));
  });

  it("scaffolds a project with init that validates without warnings and serves", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "mcpgw-init-")), "my-gateway");
    const init = await runCli(["init", dir], { command: [binary] });
    expect(init.code).toBe(0);
    const validate = await runCli(["validate", "--json", "--project", dir], { command: [binary] });
    expect(JSON.parse(validate.stdout)).toMatchObject({ valid: true, errors: 0, warnings: 0 });

    const run = startBinary(["start", "--project", dir, "--port", "0"]);
    const url = await run.url();
    expect((await fetch(`${url}/__mcpgw/health/ready`)).status).toBe(200);
    const challenge = await rpc(`${url}/mcp/my-server-v1`, { jsonrpc: "2.0", id: 1, method: "tools/list" });
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get("www-authenticate")).toContain("/.well-known/oauth-protected-resource/mcp/my-server-v1");
    const metadata = await fetch(`${url}/.well-known/oauth-protected-resource/mcp/my-server-v1`);
    expect(((await metadata.json()) as { resource: string }).resource).toBe(`${url}/mcp/my-server-v1`);
  });

  it("follows docs/quickstart.md's binary steps: init, dev, and an MCP SDK client signs in through dev-login and consent and calls a tool", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "mcpgw-quickstart-")), "my-gateway");
    expect((await runCli(["init", dir], { command: [binary] })).code).toBe(0);
    const run = startBinary(["dev", "--port", "0"], { cwd: dir });
    const url = await run.url();
    // As the quickstart says: the browser opens the dev-login link mcpgw dev printed, once.
    const provider = new HeadlessProvider(undefined, await run.devLoginUrl());
    expect(await connectAndCall(new URL(`${url}/mcp/my-server-v1`), provider)).toBe("through the gateway");
    expect(provider.saved?.access_token).toStartWith("at_");
  });
});

/**
 * An MCP upstream that holds every call until `target` are open at once (then answers them all), or until
 * no new call has arrived for `settleMs`: a gateway capped below `target` shows up as a lower peak.
 */
function holdingUpstream(target: number, settleMs: number) {
  let open = 0;
  let peak = 0;
  let released = false;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = () => ((released = true), r())));
  let settle: ReturnType<typeof setTimeout> | undefined;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 60,
    async fetch(request) {
      const { id } = (await request.json()) as { id: number };
      open++;
      peak = Math.max(peak, open);
      if (!released) {
        clearTimeout(settle);
        if (open >= target) release();
        else settle = setTimeout(release, settleMs);
      }
      await gate;
      open--;
      return Response.json({ jsonrpc: "2.0", id, result: { tools: [] } });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/mcp`, peak: () => peak, stop: () => server.stop(true) };
}

/**
 * `n` POSTs over raw TCP: this test process is a Bun process too, so its own fetch() would queue beyond 256
 * and the client would be what limits the test. Resolves with each response's status line and body.
 */
function rawPosts(url: string, path: string, n: number): Promise<{ status: string; body: string }[]> {
  const { hostname, port } = new URL(url);
  return Promise.all(
    Array.from({ length: n }, (_, i) => {
      const body = JSON.stringify({ jsonrpc: "2.0", id: i, method: "tools/list" });
      const request = `POST ${path} HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
      return new Promise<{ status: string; body: string }>((resolve, reject) => {
        let text = "";
        Bun.connect({
          hostname,
          port: Number(port),
          socket: {
            open: (socket) => void socket.write(request),
            data: (_socket, chunk) => void (text += chunk.toString()),
            close: () => resolve({ status: text.slice(0, text.indexOf("\r\n")), body: text.slice(text.indexOf("\r\n\r\n") + 4) }),
            error: (_socket, err) => reject(err),
          },
        }).catch(reject);
      });
    }),
  );
}

describe("the compiled binary's upstream concurrency", () => {
  const CALLS = 300;
  const slowProject = (upstreamUrl: string) => writeProject({ policies: { policies: [] }, routes: routesDoc({ "/mcp/slow": { "get,post": mcpRoute("slow", upstreamUrl) } }) });

  it(`holds ${CALLS} slow upstream calls open at once when started with a clean environment (Bun's default is 256)`, async () => {
    const upstream = holdingUpstream(CALLS, 3_000);
    cleanup.push(async () => upstream.stop());
    const run = startBinary(["start", "--project", slowProject(upstream.url), "--port", "0"]);
    const url = await run.url();
    const responses = await rawPosts(url, "/mcp/slow", CALLS);
    expect(upstream.peak()).toBe(CALLS);
    expect(responses.filter((r) => r.status === "HTTP/1.1 200 OK")).toHaveLength(CALLS);
    expect(JSON.parse(responses[7]!.body)).toEqual({ jsonrpc: "2.0", id: 7, result: { tools: [] } });
  });

  it("keeps a limit the operator set explicitly, and warns about it (the same measurement, capped)", async () => {
    const upstream = holdingUpstream(CALLS, 1_500);
    cleanup.push(async () => upstream.stop());
    const run = startBinary(["start", "--project", slowProject(upstream.url), "--port", "0"], { env: { BUN_CONFIG_MAX_HTTP_REQUESTS: "256" } });
    const url = await run.url();
    expect(await run.waitFor((e) => e.event === "upstream_concurrency_limited")).toMatchObject({ limit: 256 });
    const responses = await rawPosts(url, "/mcp/slow", CALLS);
    expect(upstream.peak()).toBe(256);
    expect(responses.filter((r) => r.status === "HTTP/1.1 200 OK")).toHaveLength(CALLS);
  });
});
