// Schema history. Append only: a migration that has shipped is never edited, because stores in the field
// have already applied it. Each later feature adds its tables here with the next version number.

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "gateway_meta",
    sql: `CREATE TABLE gateway_meta (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) STRICT;`,
  },
];
