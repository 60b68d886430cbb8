import type { GrantFilter, GrantSummary } from "../store/repositories.ts";
import { parse, UsageError } from "./args.ts";
import { adminDataDir, DATA_DIR_HELP, DATA_DIR_OPTIONS, formatTable, isoTime, openExistingStore } from "./admin-io.ts";
import type { Out } from "./io.ts";

const HELP = `Usage: mcpgw tokens list   [--subject S] [--client ID] [--all] [options]
       mcpgw tokens revoke [--subject S] [--client ID] [--grant ID] [options]

The OAuth grants the gateway has issued to MCP clients. A grant is one authorization (a person, a
client, a route); its access and refresh tokens hang off it. Tokens are stored only as hashes, so they
are listed and revoked by grant.

  list     active grants (--all: revoked and expired ones too), newest first, with how many of their
           access and refresh tokens are still usable
  revoke   revoke every active grant matching the filters (at least one filter is required); their
           tokens stop working at once for refresh, and within 10 s at a running gateway, whose token
           cache holds a checked access token that long

Filters:
  --subject S      the person's subject (the IdP's sub)
  --client ID      the client_id (a DCR id, or a CIMD document URL)
  --grant ID       one grant (revoke only)
  --all            include revoked and expired grants (list only)

Options:
${DATA_DIR_HELP}`;

const OPTIONS = { ...DATA_DIR_OPTIONS, subject: { type: "string" }, client: { type: "string" }, grant: { type: "string" }, all: { type: "boolean" } } as const;

type GrantState = "active" | "revoked" | "expired";

const stateOf = (g: GrantSummary, now: number): GrantState => (g.revokedAt !== null ? "revoked" : g.expiresAt <= now ? "expired" : "active");

/** A grant as `--json` prints it: no claims (IdP profile data stays in the store). */
function grantJson(g: GrantSummary, now: number) {
  return {
    grantId: g.grantId,
    subject: g.subject,
    clientId: g.clientId,
    operationId: g.operationId,
    resource: g.resource,
    scope: g.scope,
    state: stateOf(g, now),
    createdAt: isoTime(g.createdAt),
    expiresAt: isoTime(g.expiresAt),
    revokedAt: isoTime(g.revokedAt),
    accessTokens: g.accessTokens,
    refreshTokens: g.refreshTokens,
  };
}

export async function tokensCommand(argv: string[], io: Out, env: Record<string, string | undefined> = process.env, now = Date.now): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS, true);
  if (values.help) return io.out(HELP), 0;
  const [action, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (action !== "list" && action !== "revoke") throw new UsageError(action === undefined ? "say list or revoke" : `unknown action "${action}" (list or revoke)`);
  const at = now();
  const filter: GrantFilter = { ...(values.subject !== undefined ? { subject: values.subject } : {}), ...(values.client !== undefined ? { clientId: values.client } : {}) };
  if (action === "list" && values.grant !== undefined) throw new UsageError("--grant is for revoke; list filters by --subject and --client");
  if (action === "revoke" && values.all) throw new UsageError("--all is for list");
  if (action === "revoke" && values.grant === undefined && filter.subject === undefined && filter.clientId === undefined) {
    throw new UsageError("revoke needs --subject, --client or --grant (to revoke every grant, stop the gateway and move the data dir aside)");
  }
  const store = await openExistingStore(adminDataDir(values, env));
  try {
    if (action === "list") {
      const grants = await store.tokens.listGrants(values.all ? filter : { ...filter, activeAt: at }, at);
      if (values.json) io.out(JSON.stringify(grants.map((g) => grantJson(g, at)), null, 2));
      else if (grants.length === 0) io.out(values.all ? "No grants." : "No active grants (--all shows revoked and expired ones).");
      else {
        io.out(
          formatTable(
            ["grant", "subject", "client", "route", "state", "created", "expires", "access", "refresh"],
            grants.map((g) => [g.grantId, g.subject, g.clientId, g.operationId, stateOf(g, at), isoTime(g.createdAt), isoTime(g.expiresAt), g.accessTokens, g.refreshTokens]),
          ),
        );
      }
      return 0;
    }
    const revoked = await store.transaction(async (tx) => {
      const matching = (await tx.tokens.listGrants({ ...filter, activeAt: at }, at)).filter((g) => values.grant === undefined || g.grantId === values.grant);
      const done: GrantSummary[] = [];
      for (const g of matching) if (await tx.tokens.revokeGrant(g.grantId, at)) done.push(g);
      return done;
    });
    if (values.json) io.out(JSON.stringify({ revoked: revoked.map((g) => grantJson({ ...g, revokedAt: at }, at)) }, null, 2));
    else if (revoked.length === 0) io.out("No active grant matched; nothing was revoked.");
    else {
      const access = revoked.reduce((n, g) => n + g.accessTokens, 0);
      const refresh = revoked.reduce((n, g) => n + g.refreshTokens, 0);
      io.out(`Revoked ${revoked.length} grant(s) (${access} access and ${refresh} refresh token(s)): ${revoked.map((g) => g.grantId).join(", ")}.`);
      io.out("A running gateway refuses their access tokens within 10 s (its token cache), their refresh tokens at once.");
    }
    return 0;
  } finally {
    await store.close();
  }
}
