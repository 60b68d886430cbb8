import { describe, expect, it } from "bun:test";
import { createLogger } from "../../src/log/logger.ts";
import type { McpCall } from "../../src/mcp/jsonrpc.ts";
import type { EventScope } from "../../src/observe/events.ts";
import { CappedLabel, methodLabel, OTHER } from "../../src/observe/metrics/labels.ts";
import { MetricsSink } from "../../src/observe/metrics/metrics-sink.ts";
import { RouteUpstreams, routeUpstream } from "../../src/observe/route-upstreams.ts";
import { parseExposition, sampleValue, samplesMatching } from "../helpers/prometheus-text.ts";

// The metrics sink's pure parts, fed events as values (the e2e case in metrics.test.ts drives a real
// gateway): label bounds, the capability cap, and rate-limit refusals, which no policy of this version
// reports yet (a rate-limit policy would report mcp_request_rejected with reasonCode rate_limited).

const log = createLogger({ level: "silent" });
const scope = (operationId: string): EventScope => ({ requestId: "r", httpMethod: "POST", startedAt: 0, fields: { operationId, subjectId: "alice@example.com" }, log });
const toolCall = (name: string): McpCall => ({ kind: "request", id: 1, mcpMethod: "tools/call", capabilityName: name, clientName: undefined });
const completion = { outcome: "success", mcpStatus: "result", httpStatus: 200, upstreamMs: 2 } as const;

describe("metric labels", () => {
  it("keeps known MCP methods, and names everything else by kind or _other", () => {
    expect(methodLabel(toolCall("x"))).toBe("tools/call");
    expect(methodLabel({ kind: "request", id: 1, mcpMethod: "admin/drop-tables", capabilityName: undefined, clientName: undefined })).toBe(OTHER);
    expect(methodLabel({ kind: "response", id: null, mcpMethod: undefined, capabilityName: undefined, clientName: undefined })).toBe("response");
    expect(methodLabel({ kind: "batch", id: null, mcpMethod: "batch", capabilityName: undefined, clientName: undefined, batchSize: 2 })).toBe("batch");
  });

  it("gives the first N distinct values their own label and the rest _other; non-names are _other at once", () => {
    const label = new CappedLabel(2);
    expect([label.value("a"), label.value("b"), label.value("c"), label.value("a")]).toEqual(["a", "b", OTHER, "a"]);
    expect(new CappedLabel(10).value("has space")).toBe(OTHER);
    expect(new CappedLabel(10).value("x".repeat(129))).toBe(OTHER);
    expect(new CappedLabel(10).value(undefined)).toBe(OTHER);
  });

  it("names an upstream by host and port only, never by path or query", () => {
    expect(routeUpstream("https://mcp.example.com/v1/mcp?api_key=s3cret").label).toBe("mcp.example.com:443");
    expect(routeUpstream("http://10.0.0.5:8080/mcp").label).toBe("10.0.0.5:8080");
    expect(routeUpstream("mcpgw:demo").label).toBe("demo");
  });
});

describe("MetricsSink", () => {
  const sink = () => new MetricsSink({ build: { version: "1.2.3", commit: "abc" }, upstreams: new RouteUpstreams(), capabilityLimit: 2 });

  it("counts at most capabilityLimit capability names; later ones add to _other", async () => {
    const s = sink();
    for (const name of ["add", "echo", "third", "fourth", "add"]) s.handle({ type: "capability_invocation_completed", scope: scope("r1"), call: toolCall(name), completion, latencyMs: 3 });
    const m = parseExposition((await s.scrape()).body);
    const series = samplesMatching(m, "mcpgw_mcp_capability_calls_total").map((x) => [x.labels.capability, x.value]);
    expect(series.sort()).toEqual([["_other", 2], ["add", 2], ["echo", 1]]);
    // An operationId the loaded configuration does not know has upstream "unknown", not a guess.
    expect(sampleValue(m, "mcpgw_mcp_requests_total", { route: "r1", upstream: "unknown", method: "tools/call", outcome: "success" })).toBe(5);
  });

  it("counts rate-limit refusals from mcp_request_rejected with reasonCode rate_limited", async () => {
    const s = sink();
    const rejection = { httpStatus: 429, reasonCode: "rate_limited", failureOrigin: "client" } as const;
    s.handle({ type: "mcp_request_rejected", scope: scope("r1"), rejection, latencyMs: 0 });
    s.handle({ type: "mcp_request_rejected", scope: scope("r1"), rejection, latencyMs: 0 });
    s.handle({ type: "mcp_request_rejected", scope: scope("r1"), rejection: { ...rejection, reasonCode: "capability_hidden", httpStatus: 200 }, latencyMs: 0 });
    const m = parseExposition((await s.scrape()).body);
    expect(sampleValue(m, "mcpgw_rate_limit_refusals_total", { route: "r1" })).toBe(2);
    expect(sampleValue(m, "mcpgw_mcp_rejections_total", { route: "r1", reason: "rate_limited", origin: "client" })).toBe(2);
    expect(sampleValue(m, "mcpgw_mcp_rejections_total", { route: "r1", reason: "capability_hidden", origin: "client" })).toBe(1);
  });

  it("escapes label values so the exposition stays parseable", async () => {
    const s = new MetricsSink({ build: { version: '1.0 "quoted"\\', commit: "line\nbreak" }, upstreams: new RouteUpstreams() });
    const [build] = samplesMatching(parseExposition((await s.scrape()).body), "mcpgw_build_info");
    expect(build!.labels).toEqual({ version: '1.0 "quoted"\\', commit: "line\nbreak" });
  });
});

describe("the exposition reader used by these tests", () => {
  it("refuses what a Prometheus server would refuse", () => {
    expect(() => parseExposition("x_total 1\n")).toThrow("no # TYPE");
    expect(() => parseExposition("# TYPE x counter\nx{a=\"1\"} 1\nx{a=\"1\"} 2\n")).toThrow("appears twice");
    expect(() => parseExposition("# TYPE x counter\nx{a=1} 1\n")).toThrow("not quoted");
    expect(() => parseExposition("# TYPE x counter\nx{a=\"\\t\"} 1\n")).toThrow("invalid escape");
    expect(() => parseExposition("# TYPE x counter\nx one\n")).toThrow("invalid sample value");
    expect(() => parseExposition("# TYPE x counter\nx 1")).toThrow("line feed");
    expect(() => parseExposition('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n')).toThrow("not cumulative");
    expect(() => parseExposition('# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n')).toThrow("_count differs");
  });
});
