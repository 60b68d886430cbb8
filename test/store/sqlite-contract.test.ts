import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../src/store/open.ts";
import { describeStoreContract } from "./contract.ts";

describeStoreContract("SQLite", () => openStore(mkdtempSync(join(tmpdir(), "mcpgw-contract-"))));
