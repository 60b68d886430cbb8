import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.ts";
import { doctorCommand } from "../../src/cli/doctor.ts";
import { runCli } from "../helpers/cli.ts";
import { mcpRoute, routesDoc, writeProject } from "../helpers/project.ts";
import { startSdkUpstream, type SdkUpstream } from "../helpers/upstreams.ts";
import { DEMO_PATH, mcpPost, obtainTokens, postForm, startGateway, writeOAuthProject, type IssuedTokens } from "../oauth/helpers.ts";

// The admin commands against a real data dir: a running gateway (dev mode, real SQLite file) issues
// real tokens through the OAuth flow, and the commands read and change the same file while it runs,
// as an operator's shell would next to the service.

type Run = { code: number; out: string; err: string };

async function mcpgw(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

let gw: Awaited<ReturnType<typeof startGateway>>;
let projectDir: string;
let alice: { clientId: string; tokens: IssuedTokens };
let bob: { clientId: string; tokens: IssuedTokens };

beforeAll(async () => {
  projectDir = writeOAuthProject();
  gw = await startGateway(projectDir);
  alice = await obtainTokens(gw.url, DEMO_PATH, { client_name: "Alice's Editor" });
  bob = await obtainTokens(gw.url, DEMO_PATH, { client_name: "Bob's Agent" });
});
afterAll(() => gw.stop());

const refresh = (who: { clientId: string; tokens: IssuedTokens }) =>
  postForm(`${gw.url}/oauth/token`, { grant_type: "refresh_token", refresh_token: who.tokens.refresh_token, client_id: who.clientId, resource: `${gw.url}${DEMO_PATH}` });

describe("mcpgw tokens", () => {
  it("lists the active grants with their usable tokens, filtered by client", async () => {
    const all = await mcpgw("tokens", "list", "--data-dir", gw.dataDir, "--json");
    expect(all.code).toBe(0);
    const grants = JSON.parse(all.out) as Record<string, unknown>[];
    expect(grants.map((g) => g.clientId).sort()).toEqual([alice.clientId, bob.clientId].sort());
    for (const g of grants) expect(g).toMatchObject({ operationId: "demo-mcp-server", state: "active", accessTokens: 1, refreshTokens: 1, revokedAt: null });
    expect(JSON.stringify(grants)).not.toContain(alice.tokens.access_token);
    const one = JSON.parse((await mcpgw("tokens", "list", "--data-dir", gw.dataDir, "--json", "--client", bob.clientId)).out) as { clientId: string }[];
    expect(one.map((g) => g.clientId)).toEqual([bob.clientId]);
    const table = await mcpgw("tokens", "list", "--data-dir", gw.dataDir);
    expect(table.out.split("\n")[0]).toMatch(/^GRANT\s+SUBJECT\s+CLIENT\s+ROUTE\s+STATE\s+CREATED\s+EXPIRES\s+ACCESS\s+REFRESH$/);
    expect(table.out).toContain(alice.clientId);
  });

  it("revokes a client's grants in the running gateway's store: its refresh token and unused access token stop working, others do not", async () => {
    const revoked = await mcpgw("tokens", "revoke", "--data-dir", gw.dataDir, "--client", alice.clientId, "--json");
    expect(revoked.code).toBe(0);
    const body = JSON.parse(revoked.out) as { revoked: { clientId: string; state: string }[] };
    expect(body.revoked).toHaveLength(1);
    expect(body.revoked[0]).toMatchObject({ clientId: alice.clientId, state: "revoked" });
    // Alice's access token was never used, so the gateway's cache does not hold it: refused at once.
    expect((await mcpPost(`${gw.url}${DEMO_PATH}`, alice.tokens.access_token)).status).toBe(401);
    expect((await refresh(alice)).status).toBe(400);
    expect((await mcpPost(`${gw.url}${DEMO_PATH}`, bob.tokens.access_token)).status).toBe(200);
    const listed = JSON.parse((await mcpgw("tokens", "list", "--data-dir", gw.dataDir, "--json", "--all", "--client", alice.clientId)).out) as { state: string }[];
    expect(listed.map((g) => g.state)).toEqual(["revoked"]);
    expect((await mcpgw("tokens", "revoke", "--data-dir", gw.dataDir, "--client", alice.clientId)).out).toBe("No active grant matched; nothing was revoked.");
  });

  it("refuses a revoke without a filter, and a store that is not there", async () => {
    const bare = await mcpgw("tokens", "revoke", "--data-dir", gw.dataDir);
    expect(bare.code).toBe(2);
    expect(bare.err).toContain("revoke needs --subject, --client or --grant");
    const empty = mkdtempSync(join(tmpdir(), "mcpgw-nostore-"));
    const missing = await mcpgw("tokens", "list", "--data-dir", empty);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(`no mcpgw store in ${empty}`);
  });
});

describe("mcpgw clients", () => {
  it("lists registered clients with their names and active grants", async () => {
    const listed = JSON.parse((await mcpgw("clients", "list", "--data-dir", gw.dataDir, "--json")).out) as Record<string, unknown>[];
    const byId = new Map(listed.map((c) => [c.clientId, c]));
    expect(byId.get(bob.clientId)).toMatchObject({ clientName: "Bob's Agent", tokenEndpointAuthMethod: "none", redirectHosts: ["127.0.0.1:53682"], activeGrants: 1 });
    expect(byId.get(alice.clientId)).toMatchObject({ clientName: "Alice's Editor", activeGrants: 0 });
  });

  it("deletes a client and revokes its grants; it can no longer refresh", async () => {
    const deleted = await mcpgw("clients", "delete", bob.clientId, "--data-dir", gw.dataDir);
    expect(deleted.code).toBe(0);
    expect(deleted.out).toBe(`Deleted client ${bob.clientId}; revoked 1 grant(s).`);
    const listed = JSON.parse((await mcpgw("clients", "list", "--data-dir", gw.dataDir, "--json")).out) as { clientId: string }[];
    expect(listed.map((c) => c.clientId)).not.toContain(bob.clientId);
    const refused = await refresh(bob);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: string }).error).toBe("invalid_client");
    const again = await mcpgw("clients", "delete", bob.clientId, "--data-dir", gw.dataDir);
    expect(again.code).toBe(1);
  });
});

describe("the admin commands' --help", () => {
  for (const command of ["tokens", "clients", "doctor"]) {
    it(`mcpgw ${command} --help`, async () => {
      const run = await mcpgw(command, "--help");
      expect(run.code).toBe(0);
      expect(run.out).toStartWith(`Usage: mcpgw ${command}`);
      expect(run.out).toContain("--json");
    });
  }

  it("is listed in mcpgw --help, and runs as a process", async () => {
    expect((await mcpgw("--help")).out).toMatch(/tokens\s+list or revoke/);
    const run = await runCli(["tokens", "list", "--data-dir", gw.dataDir, "--json", "--all"]);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as unknown[]).length).toBe(2);
  });
});

describe("mcpgw doctor", () => {
  let upstream: SdkUpstream;
  let skewed: ReturnType<typeof Bun.serve>;
  beforeAll(() => {
    upstream = startSdkUpstream({ stateful: false, json: true });
    // An upstream whose clock is ten minutes behind, publishing RFC 9728 metadata.
    skewed = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) =>
        new URL(request.url).pathname === "/.well-known/oauth-protected-resource/mcp"
          ? Response.json({ resource: request.url, authorization_servers: ["https://idp.example"] }, { headers: { date: new Date(Date.now() - 600_000).toUTCString() } })
          : new Response("not here", { status: 404 }),
    });
  });
  afterAll(() => {
    upstream.stop();
    void skewed.stop(true);
  });

  async function doctor(project: string, dataDir: string): Promise<{ code: number; report: { ok: boolean; findings: { check: string; status: string; message: string; fix?: string }[] } }> {
    const out: string[] = [];
    const code = await doctorCommand(["--project", project, "--data-dir", dataDir, "--json", "--timeout-ms", "2000"], { out: (s) => out.push(s), err: () => undefined }, { env: {} });
    return { code, report: JSON.parse(out.join("\n")) };
  }
  const statusOf = (r: Awaited<ReturnType<typeof doctor>>["report"], check: string) => r.findings.filter((f) => f.check === check).map((f) => f.status);

  it("passes a healthy gateway's project and data dir", async () => {
    const { code, report } = await doctor(projectDir, gw.dataDir);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(statusOf(report, "config")).toEqual(["ok"]);
    expect(statusOf(report, "secret-key")).toEqual(["ok"]);
    expect(statusOf(report, "store")).toEqual(["ok"]);
    expect(statusOf(report, "idp")).toEqual(["skip"]);
  });

  it("reaches each upstream and compares clocks with their Date headers", async () => {
    const twoUpstreams = writeProject({
      routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", upstream.url) }, "/mcp/b": { "get,post": mcpRoute("b", `http://127.0.0.1:${skewed.port}/mcp`) } }),
    });
    const { code, report } = await doctor(twoUpstreams, gw.dataDir);
    expect(statusOf(report, "upstream")).toEqual(["ok", "ok"]);
    expect(report.findings.find((f) => f.message.includes(`:${skewed.port}/mcp`))?.message).toContain("names https://idp.example");
    const clock = report.findings.find((f) => f.check === "clock")!;
    expect(clock.status).toBe("fail");
    expect(clock.message).toContain(`127.0.0.1:${skewed.port} is`);
    expect(clock.message).toContain("behind this machine");
    expect(clock.fix).toContain("timedatectl set-ntp true");
    expect(code).toBe(1);
  });

  it("fails on an unreachable upstream, a broken key file and an invalid project, saying what to fix", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const deadUrl = `http://127.0.0.1:${closed.port}/mcp`;
    await closed.stop(true);
    const dataDir = mkdtempSync(join(tmpdir(), "mcpgw-doctor-"));
    writeFileSync(join(dataDir, "secret.key"), "too-short\n", { mode: 0o600 });
    const unreachable = await doctor(writeProject({ routes: routesDoc({ "/mcp/x": { "get,post": mcpRoute("x", deadUrl) } }) }), dataDir);
    expect(unreachable.code).toBe(1);
    expect(unreachable.report.findings.find((f) => f.check === "upstream")).toMatchObject({ status: "fail", message: expect.stringContaining("unreachable") });
    expect(unreachable.report.findings.find((f) => f.check === "secret-key")).toMatchObject({ status: "fail", message: expect.stringContaining("MCPGW_STORE_SECRET_KEY_INVALID") });

    chmodSync(join(dataDir, "secret.key"), 0o644);
    writeFileSync(join(dataDir, "secret.key"), Buffer.alloc(32, 7).toString("base64url") + "\n");
    const loose = await doctor(writeProject({ routes: routesDoc({ "/mcp/x": { "get,post": mcpRoute("x", "mcpgw:demo") } }) }), dataDir);
    expect(loose.report.findings.find((f) => f.check === "secret-key")).toMatchObject({ status: "warn", fix: `chmod 600 ${join(dataDir, "secret.key")}` });
    expect(loose.code).toBe(0);

    const invalid = await doctor(writeProject({ routes: routesDoc({ "/mcp/x": { "get,post": mcpRoute("x", "ftp://nope") } }) }), dataDir);
    expect(invalid.code).toBe(1);
    expect(invalid.report.findings[0]).toMatchObject({ check: "config", status: "fail" });
    expect(invalid.report.findings[0]!.fix).toContain("mcpgw validate");
  });

  it("checks a federated login's IdP: discovery document with the configured issuer, and its JWKS", async () => {
    // A loopback IdP publishing OIDC discovery (the issuer it names is configurable per path) and a key set.
    const idp = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(request) {
        const { pathname, origin } = new URL(request.url);
        if (pathname === "/good/.well-known/openid-configuration") return Response.json({ issuer: `${origin}/good`, jwks_uri: `${origin}/jwks` });
        if (pathname === "/moved/.well-known/openid-configuration") return Response.json({ issuer: `${origin}/elsewhere` });
        if (pathname === "/jwks") return Response.json({ keys: [{ kty: "EC", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", kid: "k1" }] });
        return new Response("no", { status: 404 });
      },
    });
    const origin = `http://127.0.0.1:${idp.port}`;
    // The OAuth test project with a federated login whose oidc block points at the loopback IdP.
    const federatedProject = (issuer: string) => {
      const dir = writeOAuthProject({ browserLogin: { url: `${origin}/authorize`, tokenUrl: `${origin}/token`, clientId: "gw", clientSecret: "not-a-real-secret" } });
      const file = join(dir, "config", "policies.json");
      const text = readFileSync(file, "utf8").replaceAll("http://127.0.0.1:9000/.well-known/jwks.json", `${origin}/jwks`).replaceAll('"http://127.0.0.1:9000"', JSON.stringify(issuer));
      writeFileSync(file, text);
      return dir;
    };
    try {
      const good = await doctor(federatedProject(`${origin}/good`), gw.dataDir);
      expect(good.report.findings.filter((f) => f.check === "idp").map((f) => [f.status, f.message])).toEqual([
        ["ok", `${origin}/good/.well-known/openid-configuration: issuer matches`],
        ["ok", `${origin}/jwks: 1 key(s)`],
      ]);
      const moved = await doctor(federatedProject(`${origin}/moved`), gw.dataDir);
      expect(moved.code).toBe(1);
      expect(moved.report.findings.find((f) => f.check === "idp")).toMatchObject({ status: "fail", message: expect.stringContaining(`names issuer "${origin}/elsewhere"`) });
    } finally {
      await idp.stop(true);
    }
  });

  it("prints a readable report with the fixes", async () => {
    const out: string[] = [];
    const dataDir = mkdtempSync(join(tmpdir(), "mcpgw-doctor-"));
    const code = await doctorCommand(["--project", projectDir, "--data-dir", dataDir], { out: (s) => out.push(s), err: () => undefined }, { env: {} });
    expect(code).toBe(0);
    const text = out.join("\n");
    expect(text).toMatch(/^ok {4}config/m);
    expect(text).toMatch(/^WARN {2}secret-key .*does not exist yet/m);
    expect(text).toMatch(/^ {6}\s+fix: It is created at the first start/m);
    expect(text).toContain("No problems (1 warning(s)).");
  });
});
