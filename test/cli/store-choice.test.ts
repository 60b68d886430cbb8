import { describe, expect, it } from "bun:test";
import { serveSettings } from "../../src/cli/args.ts";
import { chooseStore } from "../../src/cli/store-choice.ts";

const PG = "postgres://mcpgw:pw@db:5432/mcpgw";

describe("which store a gateway opens", () => {
  it("takes --store (or MCPGW_STORE) over mcpgw.store, and mcpgw.store over DATABASE_URL", () => {
    expect(chooseStore(PG, "postgres://other/x", { DATABASE_URL: "postgres://third/y" })).toEqual({ url: PG, source: "--store/MCPGW_STORE" });
    expect(chooseStore(undefined, PG, { DATABASE_URL: "postgres://third/y" })).toEqual({ url: PG, source: "mcpgw.store" });
    expect(chooseStore(undefined, undefined, { DATABASE_URL: PG })).toEqual({ url: PG, source: "DATABASE_URL" });
    expect(serveSettings({}, { MCPGW_STORE: PG }).store).toBe(PG);
    expect(serveSettings({ store: "sqlite" }, { MCPGW_STORE: PG }).store).toBe("sqlite");
  });

  it("stays on the data dir's SQLite file by default, when told \"sqlite\", and for a DATABASE_URL of another database", () => {
    expect(chooseStore(undefined, undefined, {})).toEqual({ url: undefined, source: "default" });
    expect(chooseStore("sqlite", PG, { DATABASE_URL: PG })).toEqual({ url: undefined, source: "--store/MCPGW_STORE" });
    expect(chooseStore(undefined, "sqlite", { DATABASE_URL: PG })).toEqual({ url: undefined, source: "mcpgw.store" });
    expect(chooseStore(undefined, undefined, { DATABASE_URL: "mysql://db/app" })).toEqual({ url: undefined, source: "default" });
  });
});
