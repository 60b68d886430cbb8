import type { SQL } from "bun";
import type { MetaRepository } from "../repositories.ts";

export class PostgresMetaRepository implements MetaRepository {
  constructor(private readonly sql: SQL) {}

  async get(key: string): Promise<string | undefined> {
    const [row] = await this.sql<{ value: string }[]>`SELECT value FROM gateway_meta WHERE key = ${key}`;
    return row?.value;
  }

  async setIfAbsent(key: string, value: string): Promise<string> {
    await this.sql`INSERT INTO gateway_meta (key, value) VALUES (${key}, ${value}) ON CONFLICT (key) DO NOTHING`;
    // A second statement (a fresh snapshot under READ COMMITTED) sees the row another instance just
    // committed; a SELECT in the INSERT's own statement would not.
    return (await this.get(key))!;
  }
}
