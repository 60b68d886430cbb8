// `npm run build`: compile mcpgw for this machine into one self-contained binary at dist/mcpgw.
import { buildStamp, compile, hostTarget } from "./compile.ts";

const outfile = process.argv[2] ?? "dist/mcpgw";
const started = performance.now();
await compile({ target: hostTarget(), outfile, stamp: await buildStamp() });
const size = Bun.file(outfile).size;
console.log(`built ${outfile}: ${(size / 1024 / 1024).toFixed(1)} MiB in ${Math.round(performance.now() - started)} ms`);
