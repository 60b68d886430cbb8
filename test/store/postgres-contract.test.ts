import { beforeAll } from "bun:test";
import { openPostgresStore } from "../../src/store/postgres/open.ts";
import { CLUSTER_START_TIMEOUT_MS, describeWithPostgres, freshSchema, sharedPostgres } from "../helpers/postgres.ts";
import { describeStoreContract } from "./contract.ts";

// The same repository contract as SQLite's, on a real PostgreSQL (Debian's package, a temp cluster).
// Each test gets an empty schema of its own.

describeWithPostgres("PostgreSQL store", () => {
  beforeAll(() => sharedPostgres(), CLUSTER_START_TIMEOUT_MS);
  describeStoreContract("PostgreSQL", async () => openPostgresStore((await sharedPostgres()).url, { schema: freshSchema() }));
});
