import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { GatewayEvent, GatewayEventType } from "../../src/observe/events.ts";
import type { ObserverSink } from "../../src/observe/observer.ts";
import { startGateway, postRpc, type GatewayUnderTest } from "../helpers/gateway.ts";
import { mcpRoute, routesDoc } from "../helpers/project.ts";

// A sink added at composition (as a metrics or tracing sink would be) sees the same events the log
// stream writes, as values, without any change to the request path: one completion per client request.

class Collector implements ObserverSink {
  readonly events: GatewayEvent[] = [];
  wants(_type: GatewayEventType): boolean {
    return true;
  }
  handle(event: GatewayEvent): void {
    this.events.push(event);
  }
}

const collector = new Collector();
let gw: GatewayUnderTest;

beforeAll(async () => {
  gw = await startGateway({
    routes: routesDoc({ "/mcp/demo-v1": { "get,post": mcpRoute("demo-mcp-server", "mcpgw:demo") } }),
    eventSinks: [collector],
  });
});
afterAll(() => gw.stop());

describe("observer sinks", () => {
  it("hands an added sink each proxied call as values: accepted, started, one completion", async () => {
    const res = await postRpc(`${gw.url}/mcp/demo-v1`, { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "add", arguments: { a: 2, b: 3 } } });
    expect(res.status).toBe(200);
    await res.text();
    const types = collector.events.filter((e) => e.type !== "mcp_auth").map((e) => e.type);
    expect(types).toEqual(["mcp_request_accepted", "capability_invocation_started", "capability_invocation_completed"]);
    const done = collector.events.find((e) => e.type === "capability_invocation_completed");
    expect(done).toMatchObject({ call: { mcpMethod: "tools/call", capabilityName: "add" }, completion: { outcome: "success", httpStatus: 200 }, scope: { fields: { operationId: "demo-mcp-server" } } });
    // The log stream (the other sink) wrote its line for the same call.
    expect(gw.events("capability_invocation_completed")).toHaveLength(1);
  });

  it("reports a refused request as one mcp_request_rejected value", async () => {
    collector.events.length = 0;
    const res = await fetch(`${gw.url}/mcp/demo-v1`);
    expect(res.status).toBe(405);
    expect(collector.events.map((e) => e.type)).toEqual(["mcp_request_rejected"]);
  });
});
