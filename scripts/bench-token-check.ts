// Micro-measure of the resource-server token check (issue #5 target: ≤ 20 µs, flat from 10k to 1M
// tokens). Fills a temporary store with N live access tokens, then times AccessTokenValidator.validate:
// cache hits (the steady state of an active client) and cache misses (a primary-key lookup per call).
//
//   bun scripts/bench-token-check.ts [10000,100000,1000000]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccessTokenValidator } from "../src/oauth/access-tokens.ts";
import { hashCredential, mintCredential } from "../src/oauth/credentials.ts";
import { openStore } from "../src/store/database.ts";
import { OAuthTokenStore } from "../src/store/oauth-tokens.ts";

const RESOURCE = "http://127.0.0.1:9000/mcp/demo-v1";
const OP = "demo-mcp-server";
const SAMPLE = 20_000;
const sizes = (process.argv[2] ?? "10000,100000,1000000").split(",").map(Number);

function fill(tokens: OAuthTokenStore, count: number, now: number): string[] {
  const kept: string[] = [];
  const every = Math.max(1, Math.floor(count / SAMPLE));
  tokens.transaction(() => {
    for (let i = 0; i < count; i++) {
      const grantId = `grant_${i}`;
      tokens.insertGrant({ grantId, clientId: "dcr_bench", subject: `user-${i}`, claims: "{}", resource: RESOURCE, operationId: OP, scope: "mcp:tools", createdAt: now, expiresAt: now + 86_400_000 });
      const token = mintCredential("at");
      tokens.insertToken(hashCredential(token), "access", grantId, now, now + 3_600_000);
      if (i % every === 0) kept.push(token);
    }
  });
  return kept;
}

/** Median and best of 7 rounds: the machine may be shared, so one round alone says little. */
function time(label: string, n: number, fn: (i: number) => void): void {
  for (let i = 0; i < Math.min(n, 5_000); i++) fn(i); // warm up the JIT and the page cache
  const rounds: number[] = [];
  for (let r = 0; r < 7; r++) {
    const start = Bun.nanoseconds();
    for (let i = 0; i < n; i++) fn(i);
    rounds.push((Bun.nanoseconds() - start) / 1_000 / n);
  }
  rounds.sort((a, b) => a - b);
  console.log(`  ${label.padEnd(34)} median ${rounds[3]!.toFixed(2).padStart(6)} µs, best ${rounds[0]!.toFixed(2).padStart(6)} µs per check`);
}

for (const size of sizes) {
  const dir = mkdtempSync(join(tmpdir(), "mcpgw-bench-"));
  const store = openStore(dir);
  const now = Date.now();
  const tokens = new OAuthTokenStore(store.db);
  const t0 = performance.now();
  const sample = fill(tokens, size, now);
  console.log(`${size.toLocaleString("en")} tokens (filled in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${sample.length} sampled)`);

  const cached = new AccessTokenValidator(tokens, () => now);
  const hot = sample.slice(0, 1_000);
  for (const t of hot) cached.validate(t, RESOURCE, OP);
  time("cache hit (1k hot tokens)", 50_000, (i) => cached.validate(hot[i % hot.length]!, RESOURCE, OP));

  const uncached = new AccessTokenValidator(tokens, () => now, { capacity: 1 });
  time("cache miss (store lookup by hash)", sample.length, (i) => uncached.validate(sample[i % sample.length]!, RESOURCE, OP));
  time("unknown token (store miss)", 10_000, () => {
    try {
      uncached.validate(mintCredential("at"), RESOURCE, OP);
    } catch {
      // expected: InvalidToken
    }
  });
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
