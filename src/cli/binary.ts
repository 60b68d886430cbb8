// Entry point of the compiled binary (scripts/compile.ts). The re-exec comes first, before main.ts and the
// gateway's modules load, so the image that serves is the one started with the raised fetch limit.
import { reexecForUpstreamConcurrency } from "./upstream-concurrency.ts";

reexecForUpstreamConcurrency();
const { main } = await import("./main.ts");
process.exit(await main(process.argv.slice(2)));
