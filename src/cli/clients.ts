import * as v from "valibot";
import type { ClientRow } from "../store/repositories.ts";
import { parse, UsageError } from "./args.ts";
import { adminDataDir, DATA_DIR_HELP, DATA_DIR_OPTIONS, formatTable, isoTime, openExistingStore } from "./admin-io.ts";
import type { Out } from "./io.ts";

const HELP = `Usage: mcpgw clients list [options]
       mcpgw clients delete CLIENT_ID [options]

The OAuth clients registered with the gateway by dynamic client registration (RFC 7591). Clients
that identify themselves by a metadata document URL (CIMD) are not stored: their grants show in
\`mcpgw tokens list\`, and \`mcpgw tokens revoke --client URL\` revokes them.

  list     registered clients that have not expired, oldest first, with their active grants
  delete   remove the client and the consents given to it, and revoke its grants: it must register
           again, and people approve it again

Options:
${DATA_DIR_HELP}`;

// The registered metadata as the register endpoint stored it (src/oauth/register.ts); read leniently,
// since only a few members are shown.
const StoredMetadata = v.looseObject({
  client_name: v.optional(v.string()),
  redirect_uris: v.optional(v.array(v.string()), []),
  token_endpoint_auth_method: v.optional(v.string()),
});

function describe(row: ClientRow) {
  const parsed = v.safeParse(StoredMetadata, JSON.parse(row.metadata));
  const metadata = parsed.success ? parsed.output : { client_name: undefined, redirect_uris: [], token_endpoint_auth_method: undefined };
  const hosts = [...new Set(metadata.redirect_uris.map((u) => URL.parse(u)?.host || URL.parse(u)?.protocol || u))];
  return { clientId: row.clientId, clientName: metadata.client_name ?? null, tokenEndpointAuthMethod: metadata.token_endpoint_auth_method ?? null, redirectHosts: hosts, createdAt: isoTime(row.createdAt), expiresAt: isoTime(row.expiresAt) };
}

export async function clientsCommand(argv: string[], io: Out, env: Record<string, string | undefined> = process.env, now = Date.now): Promise<number> {
  const { values, positionals } = parse(argv, DATA_DIR_OPTIONS, true);
  if (values.help) return io.out(HELP), 0;
  const [action, clientId, ...extra] = positionals;
  if (action !== "list" && action !== "delete") throw new UsageError(action === undefined ? "say list or delete" : `unknown action "${action}" (list or delete)`);
  if (action === "list" && clientId !== undefined) throw new UsageError(`unexpected argument "${clientId}"`);
  if (action === "delete" && clientId === undefined) throw new UsageError("delete needs the CLIENT_ID (see mcpgw clients list)");
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const at = now();
  const store = await openExistingStore(adminDataDir(values, env));
  try {
    if (action === "list") {
      const [clients, grants] = await Promise.all([store.clients.list(at), store.tokens.listGrants({ activeAt: at }, at)]);
      const active = new Map<string, number>();
      for (const g of grants) active.set(g.clientId, (active.get(g.clientId) ?? 0) + 1);
      const rows = clients.map((c) => ({ ...describe(c), activeGrants: active.get(c.clientId) ?? 0 }));
      if (values.json) io.out(JSON.stringify(rows, null, 2));
      else if (rows.length === 0) io.out("No registered clients.");
      else io.out(formatTable(["client", "name", "auth", "redirects", "created", "expires", "grants"], rows.map((r) => [r.clientId, r.clientName, r.tokenEndpointAuthMethod, r.redirectHosts.join(","), r.createdAt, r.expiresAt, r.activeGrants])));
      return 0;
    }
    const result = await store.transaction(async (tx) => {
      const deleted = await tx.clients.delete(clientId!);
      let revoked = 0;
      for (const g of await tx.tokens.listGrants({ clientId: clientId!, activeAt: at }, at)) if (await tx.tokens.revokeGrant(g.grantId, at)) revoked++;
      return { deleted, revoked };
    });
    if (values.json) io.out(JSON.stringify({ clientId, ...result }, null, 2));
    else if (!result.deleted && result.revoked === 0) io.out(`No client ${clientId} is registered, and it has no active grants.`);
    else io.out(`${result.deleted ? `Deleted client ${clientId}` : `No client ${clientId} is registered`}; revoked ${result.revoked} grant(s).`);
    return result.deleted || result.revoked > 0 ? 0 : 1;
  } finally {
    await store.close();
  }
}
