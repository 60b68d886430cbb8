// Starts @civic/passthrough-mcp-server's HTTP passthrough bound to 127.0.0.1 only (its CLI listens on
// every interface), pointed at a Streamable HTTP upstream. Run with node, as its users do:
//   node scripts/bench/civic-launcher.mjs PACKAGE_DIR TARGET_ORIGIN
// The passthrough appends /mcp to TARGET_ORIGIN and serves clients at /mcp.
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [packageDir, targetOrigin] = process.argv.slice(2);
const { createHttpPassthroughProxy } = await import(pathToFileURL(join(packageDir, "dist/index.js")).href);
const proxy = await createHttpPassthroughProxy({ target: { url: targetOrigin, transportType: "httpStream" }, autoStart: false });
proxy.httpServer.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ event: "listening", url: `http://127.0.0.1:${proxy.httpServer.address().port}/mcp` }));
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
