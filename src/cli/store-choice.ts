// Which store a gateway process uses, decided once at start (the store is opened before the project's
// routes are built, and is not swapped on reload). Most specific first: the command line or
// MCPGW_STORE, then the project's `mcpgw.store`, then DATABASE_URL (the variable platforms set for an
// attached database; only a postgres:// value counts), else the data dir's SQLite file.

export interface StoreChoice {
  /** A postgres:// URL, or undefined for SQLite. */
  readonly url: string | undefined;
  /** Where the choice came from, for the start-up log line. */
  readonly source: "--store/MCPGW_STORE" | "mcpgw.store" | "DATABASE_URL" | "default";
}

const isPostgres = (s: string) => /^postgres(ql)?:\/\//i.test(s);

export function chooseStore(explicit: string | undefined, project: string | undefined, env: Record<string, string | undefined>): StoreChoice {
  const pick = (value: string, source: StoreChoice["source"]): StoreChoice => ({ url: value === "sqlite" ? undefined : value, source });
  if (explicit) return pick(explicit, "--store/MCPGW_STORE");
  if (project) return pick(project, "mcpgw.store");
  const databaseUrl = env.DATABASE_URL;
  if (databaseUrl && isPostgres(databaseUrl)) return pick(databaseUrl, "DATABASE_URL");
  return { url: undefined, source: "default" };
}
