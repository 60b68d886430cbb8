import { expect, it } from "bun:test";
import { spawnCli } from "../helpers/cli.ts";
import { authorizeUrl, pkcePair, registerClient, tempDataDir, writeOAuthProject } from "../oauth/helpers.ts";

// Issue 18 (low): `--log-format pretty` wrote control characters raw, so a request could drive the
// operator's terminal (recolour, retitle, clear, or hide lines). A real `mcpgw dev --log-format pretty`
// logs a rejected authorization whose response_type carries escape sequences; stdout must hold none.

async function lineMatching(lines: string[], re: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    for (const line of lines) {
      const m = re.exec(line);
      if (m) return m;
    }
    if (Date.now() > until) throw new Error(`no line matching ${re} in:\n${lines.join("\n")}`);
    await Bun.sleep(20);
  }
}

it("escapes what a client sends before it reaches the operator's terminal", async () => {
  const cli = spawnCli(["dev", "--project", writeOAuthProject(), "--data-dir", tempDataDir(), "--port", "0", "--log-format", "pretty"]);
  try {
    const url = (await lineMatching(cli.lines, /mcpgw dev listening on (http:\/\/\S+)/))[1]!;
    const client = await registerClient(url);
    const hostile = "code\u001b]0;pwned\u0007\u001b[2J\u009b31m\r\u202e";
    const at = authorizeUrl(url, { clientId: client.client_id, challenge: pkcePair().challenge, state: "s", extra: { response_type: hostile } });
    expect((await fetch(at, { redirect: "manual" })).status).toBe(302);
    const line = (await lineMatching(cli.lines, /mcp_auth_authorization_rejected.*/))[0];
    expect(line).toContain("code\\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m\\u000d\\u202e");
    expect(cli.lines.join("\n")).not.toMatch(/[\u001b\u0007\u009b\r\u202e]/);
  } finally {
    await cli.stop();
  }
}, 20_000);
