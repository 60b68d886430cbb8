import { afterEach, describe, expect, it } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, spawnCli, type CliRun } from "../helpers/cli.ts";
import { mcpRoute, routesDoc, writeProject } from "../helpers/project.ts";

const SCRIPT = "/usr/bin/script";
const running: CliRun[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) if (r.proc.exitCode === null) await r.stop("SIGKILL");
});
const start = (args: string[], env: Record<string, string> = {}) => {
  const run = spawnCli(args, { env });
  running.push(run);
  return run;
};

const rpc = (url: string, body: object, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers }, body: JSON.stringify(body) });

const demoProject = (extra: { dotenv?: string; policies?: object; inbound?: string[] } = {}) =>
  writeProject({
    ...(extra.dotenv !== undefined ? { dotenv: extra.dotenv } : {}),
    policies: extra.policies ?? { policies: [] },
    routes: routesDoc({ "/mcp/demo-v1": { "get,post": mcpRoute("demo-mcp-server", "mcpgw:demo", extra.inbound ?? []) } }),
  });

describe("serving a project", () => {
  it("dev prints its routes and URL, answers health, proxies to the demo upstream, and drains on SIGTERM", async () => {
    const dir = demoProject();
    const run = start(["dev", "--project", dir, "--port", "0"]);
    const url = await run.url();
    const route = await run.waitFor((e) => e.event === "route_registered");
    expect(route.url).toBe(`${url}/mcp/demo-v1`);
    expect(String(route.msg)).toStartWith(`GET,POST ${url}/mcp/demo-v1 → `);
    expect(String(route.msg)).toMatch(/→ http:\/\/127\.0\.0\.1:\d+\/mcp \[built-in DEMO upstream/);
    expect((await fetch(`${url}/__mcpgw/health/live`)).status).toBe(200);
    expect(await (await fetch(`${url}/__mcpgw/health/ready`)).json()).toEqual({ status: "ready" });
    const res = await rpc(`${url}/mcp/demo-v1`, { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "add", arguments: { a: 2, b: 3 } } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { result: { structuredContent: unknown } }).result.structuredContent).toEqual({ sum: 5 });
    expect(await run.stop("SIGTERM")).toBe(0);
    expect(run.lines.some((l) => l.includes('"event":"gateway_stopped"'))).toBe(true);
  });

  it.skipIf(!existsSync(SCRIPT))("dev on a terminal logs in the pretty format (util-linux script gives it a pseudo-terminal)", async () => {
    const cli = [process.execPath, "--no-env-file", CLI, "dev", "--project", demoProject(), "--port", "0", "--data-dir", join(demoProject(), ".mcpgw")];
    const proc = Bun.spawn([SCRIPT, "-qec", cli.map((a) => `'${a}'`).join(" "), "/dev/null"], { stdout: "pipe", stderr: "pipe", stdin: "pipe", env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", TERM: "dumb" } });
    try {
      let out = "";
      const decoder = new TextDecoder();
      for await (const chunk of proc.stdout) {
        out += decoder.decode(chunk, { stream: true });
        if (out.includes("gateway_listening")) break;
      }
      const lines = out.split(/\r?\n/).filter((l) => l.includes("route_registered") || l.includes("gateway_listening"));
      expect(lines).toHaveLength(2);
      for (const line of lines) {
        expect(line).not.toStartWith("{");
        expect(line).toMatch(/^\d\d:\d\d:\d\d \S*INFO/);
      }
    } finally {
      proc.kill("SIGKILL");
      await proc.exited;
    }
  });

  it("warns when Bun's fetch would cap concurrent upstream requests, and not when the launcher raised it", async () => {
    const capped = start(["start", "--project", demoProject(), "--port", "0"]);
    await capped.url();
    expect(await capped.waitFor((e) => e.event === "upstream_concurrency_limited")).toMatchObject({ level: "warn", limit: 256 });
    const raised = start(["start", "--project", demoProject(), "--port", "0"], { BUN_CONFIG_MAX_HTTP_REQUESTS: "65535" });
    await raised.url();
    expect(raised.lines.some((l) => l.includes("upstream_concurrency_limited"))).toBe(false);
  });

  it("start exits 1 with the problems when the project is invalid", async () => {
    const dir = writeProject({ zuplo: { version: 1, compatibilityDate: "2020-01-01" }, routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", "mcpgw:demo") } }) });
    const run = start(["start", "--project", dir, "--port", "0"]);
    expect(await run.proc.exited).toBe(1);
    const problem = await run.waitFor((e) => e.event === "config_invalid");
    expect(problem).toMatchObject({ code: "MCPGW_CONFIG_COMPATIBILITY_DATE_TOO_OLD", file: "zuplo.jsonc", pointer: "/compatibilityDate" });
  });

  it("start reloads on SIGHUP, keeps serving the old config when the new one is invalid, then takes a fixed one", async () => {
    const dir = demoProject();
    const run = start(["start", "--project", dir, "--port", "0"]);
    const url = await run.url();
    await run.waitFor((e) => e.event === "route_registered");

    writeFileSync(join(dir, "config/routes.oas.json"), "{ not json");
    run.proc.kill("SIGHUP");
    await run.waitFor((e) => e.event === "config_reload_rejected" && e.code === "MCPGW_CONFIG_JSON_SYNTAX");
    const still = await rpc(`${url}/mcp/demo-v1`, { jsonrpc: "2.0", id: 2, method: "tools/list" });
    expect(still.status).toBe(200);
    expect((await fetch(`${url}/__mcpgw/health/ready`)).status).toBe(200);

    writeFileSync(join(dir, "config/routes.oas.json"), JSON.stringify(routesDoc({ "/mcp/renamed-v2": { "get,post": mcpRoute("renamed", "mcpgw:demo") } })));
    run.proc.kill("SIGHUP");
    await run.waitFor((e) => e.event === "config_reloaded");
    expect((await rpc(`${url}/mcp/renamed-v2`, { jsonrpc: "2.0", id: 3, method: "tools/list" })).status).toBe(200);
    expect((await rpc(`${url}/mcp/demo-v1`, { jsonrpc: "2.0", id: 4, method: "tools/list" })).status).toBe(404);
  });

  it("finishes a request in flight on the config it started with when a reload removes its route", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async () => {
        await gate;
        return Response.json({ jsonrpc: "2.0", id: 1, result: { slow: true } });
      },
    });
    try {
      const dir = writeProject({ routes: routesDoc({ "/mcp/slow-v1": { "get,post": mcpRoute("slow", `http://127.0.0.1:${slow.port}/mcp`) } }) });
      const run = start(["start", "--project", dir, "--port", "0"]);
      const url = await run.url();
      const inFlight = rpc(`${url}/mcp/slow-v1`, { jsonrpc: "2.0", id: 1, method: "tools/list" });
      await Bun.sleep(100);
      writeFileSync(join(dir, "config/routes.oas.json"), JSON.stringify(routesDoc({ "/mcp/other-v1": { "get,post": mcpRoute("other", "mcpgw:demo") } })));
      run.proc.kill("SIGHUP");
      await run.waitFor((e) => e.event === "config_reloaded");
      release();
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ jsonrpc: "2.0", id: 1, result: { slow: true } });
      expect((await rpc(`${url}/mcp/slow-v1`, { jsonrpc: "2.0", id: 2, method: "tools/list" })).status).toBe(404);
    } finally {
      slow.stop(true);
    }
  });

  it("dev with an invalid project serves not-ready health, then becomes ready when the file is fixed", async () => {
    const dir = writeProject({ routes: "{ broken" });
    const run = start(["dev", "--project", dir, "--port", "0"]);
    const url = await run.url();
    const ready = await fetch(`${url}/__mcpgw/health/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { status: string }).status).toBe("not_ready");
    expect((await rpc(`${url}/mcp/demo-v1`, { jsonrpc: "2.0", id: 1, method: "tools/list" })).status).toBe(503);

    writeFileSync(join(dir, "config/routes.oas.json"), JSON.stringify(routesDoc({ "/mcp/demo-v1": { "get,post": mcpRoute("demo", "mcpgw:demo") } })));
    await run.waitFor((e) => e.event === "route_registered", 10_000);
    expect((await fetch(`${url}/__mcpgw/health/ready`)).status).toBe(200);
  });

  it("reports a port already in use and exits 1", async () => {
    const blocker = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("busy") });
    try {
      const run = start(["start", "--project", demoProject(), "--port", String(blocker.port)]);
      expect(await run.proc.exited).toBe(1);
      await run.waitFor((e) => e.event === "listen_failed");
    } finally {
      blocker.stop(true);
    }
  });

  it("never writes a secret the run used to its log stream", async () => {
    const apiKey = "sk_live_upstream_key_0123456789";
    const salt = "marked-secret-salt-value";
    const clientToken = "client-bearer-token-abcdef123456";
    const cookie = "session-cookie-value-98765";
    const dir = demoProject({
      dotenv: `UPSTREAM_API_KEY=${apiKey}\n# @secret\nSALT=${salt}\n`,
      policies: {
        policies: [
          { name: "key", policyType: "set-upstream-api-key-inbound", handler: { module: "$import(@zuplo/runtime)", export: "SetUpstreamApiKeyInboundPolicy", options: { value: "Bearer $env(UPSTREAM_API_KEY)" } } },
          { name: "salt", policyType: "set-headers-inbound", handler: { module: "$import(@zuplo/runtime)", export: "SetHeadersInboundPolicy", options: { headers: [{ name: "x-salt", value: "$env(SALT)" }] } } },
        ],
      },
      inbound: ["key", "salt"],
    });
    const run = start(["start", "--project", dir, "--port", "0", "--log-level", "trace"]);
    const url = await run.url();
    await rpc(`${url}/mcp/demo-v1`, { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { text: "hi" } } }, { authorization: `Bearer ${clientToken}`, cookie: `sid=${cookie}` });
    await rpc(`${url}/mcp/demo-v1?access_token=${clientToken}`, { jsonrpc: "2.0", id: 2, method: "tools/list" });
    // A reload that fails still must not echo secrets in its problems.
    writeFileSync(join(dir, ".env"), `UPSTREAM_API_KEY=${apiKey}\n`);
    run.proc.kill("SIGHUP");
    await run.waitFor((e) => e.event === "config_reload_rejected");
    expect(await run.stop()).toBe(0);
    const stream = run.lines.join("\n") + run.stderr();
    expect(stream.length).toBeGreaterThan(500);
    for (const secret of [apiKey, salt, clientToken, cookie]) expect(stream).not.toContain(secret);
  });
});
