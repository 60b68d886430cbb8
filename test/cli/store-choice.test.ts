import { describe, expect, it } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { serveSettings } from "../../src/cli/args.ts";
import { chooseStore } from "../../src/cli/store-choice.ts";
import { startGateway, writeOAuthProject } from "../oauth/helpers.ts";

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

describe("a change of mcpgw.store while serving", () => {
  it("keeps the store the gateway started with, and says that a restart is needed", async () => {
    const project = writeOAuthProject();
    const gw = await startGateway(project, { logLevel: "info" });
    try {
      const zuploPath = join(project, "zuplo.jsonc");
      const zuplo = JSON.parse(readFileSync(zuploPath, "utf8")) as { mcpgw: Record<string, unknown> };
      writeFileSync(zuploPath, JSON.stringify({ ...zuplo, mcpgw: { ...zuplo.mcpgw, store: PG } }));
      expect(gw.reload()).toBe(true);
      const warning = gw.logs.find((l) => l.event === "store_change_needs_restart");
      expect(warning).toMatchObject({ level: "warn", path: join(gw.dataDir, "mcpgw.sqlite") });
      // The reload itself went through, on the SQLite store it started with.
      expect(gw.logs.filter((l) => l.event === "store_opened")).toHaveLength(1);
      expect(gw.logs.some((l) => l.event === "config_reloaded")).toBe(true);
    } finally {
      await gw.stop();
    }
  });
});
