import type { Database, Statement } from "bun:sqlite";
import type { MetaRepository } from "../repositories.ts";
import { whenIdle, type TransactionGate } from "./gate.ts";

export class SqliteMetaRepository implements MetaRepository {
  private readonly getStmt: Statement<{ value: string }, [string]>;
  private readonly insertStmt: Statement;

  constructor(
    db: Database,
    private readonly gate?: TransactionGate,
  ) {
    this.getStmt = db.prepare("SELECT value FROM gateway_meta WHERE key = ?");
    this.insertStmt = db.prepare("INSERT OR IGNORE INTO gateway_meta (key, value) VALUES (?, ?)");
  }

  async get(key: string): Promise<string | undefined> {
    await whenIdle(this.gate);
    return this.getStmt.get(key)?.value;
  }

  async setIfAbsent(key: string, value: string): Promise<string> {
    await whenIdle(this.gate);
    this.insertStmt.run(key, value);
    return this.getStmt.get(key)!.value;
  }
}
