import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "../../src/log/logger.ts";
import { MetricsSink } from "../../src/observe/metrics/metrics-sink.ts";
import { RouteUpstreams } from "../../src/observe/route-upstreams.ts";
import { REPO } from "../helpers/cli.ts";
import { parseExposition, type Family } from "../helpers/prometheus-text.ts";

// The Grafana dashboard in packaging/ is built on the series the metrics sink exports: every metric it
// queries exists, and every label it selects or groups by is one that series carries. A renamed
// metric or label fails here rather than as an empty panel.

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}
const dashboard = JSON.parse(readFileSync(join(REPO, "packaging/grafana/mcpgw.json"), "utf8")) as { uid: string; panels: Panel[]; templating: { list: { name: string; query?: string | { query: string } }[] } };

/** A scrape of a sink that has seen one event of each kind, so every labelled series has a sample. */
async function exported(): Promise<Map<string, Family>> {
  const sink = new MetricsSink({ build: { version: "0.0.0", commit: "c" }, upstreams: new RouteUpstreams(), storeBytes: () => 1 });
  const log = createLogger({ level: "silent" });
  const scope = { requestId: "r", httpMethod: "POST", startedAt: 0, fields: { operationId: "op" }, log };
  sink.handle({ type: "capability_invocation_completed", scope, call: { kind: "request", id: 1, mcpMethod: "tools/call", capabilityName: "add", clientName: undefined }, completion: { outcome: "success", mcpStatus: "result", httpStatus: 200, upstreamMs: 1 }, latencyMs: 2 });
  sink.handle({ type: "mcp_request_rejected", scope, rejection: { httpStatus: 429, reasonCode: "rate_limited", failureOrigin: "client" }, latencyMs: 0 });
  sink.handle({ type: "mcp_auth", name: "mcp_auth_downstream_token_issued", level: "info", message: "", fields: { operationId: "op", grantType: "authorization_code" }, log });
  sink.handle({ type: "mcp_auth", name: "mcp_auth_downstream_token_rejected", level: "info", message: "", fields: { reasonCode: "invalid_token" }, log });
  return parseExposition((await sink.scrape()).body);
}

const familyName = (metric: string) => metric.replace(/_(bucket|sum|count)$/, "");

describe("the Grafana dashboard (packaging/grafana/mcpgw.json)", () => {
  const exprs = [...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)), ...dashboard.templating.list.flatMap((v) => (typeof v.query === "object" ? [v.query.query] : []))];

  it("has panels with queries and a stable uid", () => {
    expect(dashboard.uid).toBe("mcpgw");
    expect(exprs.length).toBeGreaterThan(15);
  });

  it("queries only series the metrics sink exports, by labels they carry", async () => {
    const families = await exported();
    const labelsOf = (metric: string) => new Set([...(families.get(familyName(metric))?.samples ?? []).flatMap((s) => Object.keys(s.labels)), "instance", "job"]);
    for (const expr of exprs) {
      const metrics = [...expr.matchAll(/\b((?:mcpgw|process)_[a-z_]+)\b/g)].map((m) => m[1]!);
      expect(metrics.length).toBeGreaterThan(0);
      for (const metric of metrics) {
        expect(families.has(familyName(metric)) ? metric : `${metric} (not exported)`).toBe(metric);
        const known = labelsOf(metric);
        for (const selector of expr.matchAll(new RegExp(`${metric}\\{([^}]*)\\}`, "g"))) {
          for (const [, label] of selector[1]!.matchAll(/([a-z_]+)\s*=~?/g)) expect(known.has(label!) ? label : `${label} on ${metric}`).toBe(label);
        }
      }
      // `by (a, b)` groups only by labels of the series the expression reads.
      const all = new Set(metrics.flatMap((m) => [...labelsOf(m)]));
      for (const by of expr.matchAll(/by \(([^)]*)\)/g)) for (const label of by[1]!.split(",").map((l) => l.trim())) expect(all.has(label) ? label : `by ${label}`).toBe(label);
    }
  });
});
