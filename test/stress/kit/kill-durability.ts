import { Database } from "bun:sqlite";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startGatewayProcess, whenReady } from "./child-gateway.ts";
import { MCP_ZUPLO, mcpRoute, routesDoc, writeProject } from "../../helpers/project.ts";
import { authorizeInBrowser, Browser, mcpPost, OAUTH_POLICY, oauthPolicy, pkcePair, postForm, registerClient, REDIRECT_URI, type IssuedTokens } from "../../oauth/helpers.ts";
import { unlimitedOAuthSettings } from "./target.ts";

// Issue 18, durability: a gateway process (`bun src/cli/main.ts dev`, a child) is killed with SIGKILL
// while `issuances` refresh-token grants are in flight at once, each on its own connection. Then the
// SQLite file must pass `PRAGMA integrity_check` (opened read-only), and after a restart every token
// a client was answered 200 for must work: the access token on the MCP route, the refresh token at the
// token endpoint. A token answered 200 that does not work is a lost row.

const ROUTE = "/mcp/durable";

export interface KillResult {
  readonly issuances: number;
  /** Refresh grants answered 200 before the kill. */
  readonly answered: number;
  /** Of those, tokens that did not work after the restart. */
  readonly lost: number;
  readonly integrity: { afterKill: string; afterRestart: string };
  readonly problems: string[];
}

function integrityCheck(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return (db.query("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check;
  } finally {
    db.close();
  }
}

/** One HTTP/1.1 POST on a connection of its own (Connection: close): status and body, or undefined if cut. */
function rawPost(port: number, path: string, form: string): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    let received = "";
    const request = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(form)}\r\nConnection: close\r\n\r\n${form}`;
    const settle = () => {
      const split = received.indexOf("\r\n\r\n");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1]);
      if (split < 0 || !status) return resolve(undefined);
      const head = received.slice(0, split).toLowerCase();
      let body = received.slice(split + 4);
      if (head.includes("transfer-encoding: chunked")) {
        let out = "";
        for (let at = 0; ; ) {
          const nl = body.indexOf("\r\n", at);
          const size = parseInt(body.slice(at, nl), 16);
          if (!size) break;
          out += body.slice(nl + 2, nl + 2 + size);
          at = nl + 2 + size + 2;
        }
        body = out;
      }
      const length = /content-length: (\d+)/.exec(head)?.[1];
      if (length !== undefined && Buffer.byteLength(body) < Number(length)) return resolve(undefined);
      resolve({ status, body });
    };
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: (socket) => void socket.write(request),
        data: (_socket, chunk) => void (received += new TextDecoder().decode(chunk)),
        close: settle,
        error: settle,
        connectError: () => resolve(undefined),
      },
    }).catch(() => resolve(undefined));
  });
}

async function pool<T>(items: readonly T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await run(items[next++]!);
  }));
}

export async function runKillDuringIssuance(options: { issuances: number; killAfterFraction?: number; say?: (line: string) => void }): Promise<KillResult> {
  const say = options.say ?? (() => undefined);
  const problems: string[] = [];
  const project = writeProject({
    zuplo: { ...MCP_ZUPLO, mcpgw: unlimitedOAuthSettings() },
    policies: { policies: [oauthPolicy()] },
    routes: routesDoc({ [ROUTE]: { "get,post": mcpRoute("durable", "mcpgw:demo", [OAUTH_POLICY]) } }),
  });
  const dataDir = mkdtempSync(join(tmpdir(), "mcpgw-durability-"));
  const storeFile = join(dataDir, "mcpgw.sqlite");
  const port = freePort();
  let run = startGatewayProcess(project, dataDir, port);
  try {
    const url = await whenReady(run, port);
    const resource = `${url}${ROUTE}`;

    // Real grants: one client, one browser that signs in and consents once, then a code per grant.
    const client = await registerClient(url);
    const browser = new Browser();
    const grants: IssuedTokens[] = [];
    const grant = async () => {
      const { verifier, challenge } = pkcePair();
      const back = await authorizeInBrowser(browser, url, { clientId: client.client_id, challenge, resource, state: "s" });
      const res = await postForm(`${url}/oauth/token`, { grant_type: "authorization_code", code: back.searchParams.get("code")!, code_verifier: verifier, client_id: client.client_id, redirect_uri: REDIRECT_URI, resource });
      if (res.status !== 200) throw new Error(`setting up a grant failed: ${res.status} ${await res.text()}`);
      grants.push((await res.json()) as IssuedTokens);
    };
    // The first signs the browser in; the rest share its session cookie.
    await grant();
    await pool(Array.from({ length: options.issuances - 1 }, (_, i) => i), 16, grant);
    say(`   ${grants.length} grants issued; refreshing all at once, SIGKILL after ${Math.round((options.killAfterFraction ?? 0.3) * 100)}% have answered`);

    // Every refresh grant at once, each on its own socket; SIGKILL once a share of them has answered.
    const answered: IssuedTokens[] = [];
    let settled = 0;
    let killed = false;
    const killAt = Math.max(1, Math.floor(options.issuances * (options.killAfterFraction ?? 0.3)));
    const kill = () => {
      if (killed) return;
      killed = true;
      run.proc.kill("SIGKILL");
    };
    await Promise.all(
      grants.map(async (grant) => {
        const answer = await rawPost(port, "/oauth/token", new URLSearchParams({ grant_type: "refresh_token", refresh_token: grant.refresh_token!, client_id: client.client_id }).toString());
        settled++;
        if (answer?.status === 200) answered.push(JSON.parse(answer.body) as IssuedTokens);
        else if (answer && !killed) problems.push(`a refresh before the kill answered ${answer.status}: ${answer.body.slice(0, 200)}`);
        if (answered.length >= killAt) kill();
      }),
    );
    kill();
    await run.proc.exited;
    say(`   killed with ${answered.length} of ${settled} refresh grants answered 200`);

    const afterKill = integrityCheck(storeFile);
    run = startGatewayProcess(project, dataDir, port);
    await whenReady(run, port);
    let lost = 0;
    await pool(answered, 32, async (tokens) => {
      const call = await mcpPost(resource, tokens.access_token);
      await call.arrayBuffer();
      const refreshed = await postForm(`${url}/oauth/token`, { grant_type: "refresh_token", refresh_token: tokens.refresh_token!, client_id: client.client_id });
      await refreshed.arrayBuffer();
      if (call.status !== 200 || refreshed.status !== 200) {
        lost++;
        if (problems.length < 10) problems.push(`a token answered 200 before the kill does not work after the restart: MCP ${call.status}, refresh ${refreshed.status}`);
      }
    });
    const afterRestart = integrityCheck(storeFile);
    if (afterKill !== "ok" || afterRestart !== "ok") problems.push(`integrity_check: ${afterKill} after the kill, ${afterRestart} after the restart`);
    say(`   integrity_check ${afterKill} after the kill, ${afterRestart} after the restart; ${answered.length - lost} of ${answered.length} answered tokens work, rows lost: ${lost}`);
    return { issuances: options.issuances, answered: answered.length, lost, integrity: { afterKill, afterRestart }, problems };
  } finally {
    run.proc.kill("SIGKILL");
    await run.proc.exited;
  }
}
