import { afterAll, beforeAll, expect, it } from "bun:test";
import { startGateway, type GatewayUnderTest } from "../helpers/gateway.ts";
import { mcpRoute, routesDoc } from "../helpers/project.ts";

let gw: GatewayUnderTest;
beforeAll(async () => {
  gw = await startGateway({
    policies: { policies: [{ name: "f", policyType: "mcp-capability-filter-inbound", handler: { module: "$import(@zuplo/runtime)", export: "McpCapabilityFilterInboundPolicy", options: { tools: ["echo"] } } }] },
    routes: routesDoc({ "/mcp/demo-v1": { "get,post": mcpRoute("demo-mcp-server", "mcpgw:demo", ["f"]) } }),
    // At debug every invocation event is written, so their absence below means something.
    logLevel: "debug",
  });
});
afterAll(() => gw.stop());

it("logs a hidden invocation as mcp_request_rejected with reason capability_hidden, and no invocation events", async () => {
  const res = await fetch(`${gw.url}/mcp/demo-v1`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: "x1", method: "tools/call", params: { name: "add", arguments: { a: 1, b: 1 } } }),
  });
  expect(await res.json()).toEqual({ jsonrpc: "2.0", id: "x1", error: { code: -32601, message: "Method not found" } });
  const rejected = await gw.waitForLog((e) => e.event === "mcp_request_rejected");
  expect(rejected).toMatchObject({ operationId: "demo-mcp-server", reasonCode: "capability_hidden", failureOrigin: "client", jsonRpcErrorCode: -32601 });
  // The same request for an allowed tool does produce both invocation events: their absence above is not the log level's doing.
  const allowed = await fetch(`${gw.url}/mcp/demo-v1`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: "x2", method: "tools/call", params: { name: "echo", arguments: { text: "hi" } } }),
  });
  expect(allowed.status).toBe(200);
  await gw.waitForLog((e) => e.event === "capability_invocation_completed" && e.capabilityName === "echo");
  const invoked = (event: string) => gw.events(event).map((e) => e.capabilityName);
  expect(invoked("capability_invocation_started")).toEqual(["echo"]);
  expect(invoked("capability_invocation_completed")).toEqual(["echo"]);
});
