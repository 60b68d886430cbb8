// `npm run build`: compile mcpgw into one self-contained binary at dist/mcpgw.
// .env and bunfig autoloading are off: the binary reads .env itself, from the project directory,
// not from whatever directory it happens to start in.
import { $ } from "bun";

const outfile = process.argv[2] ?? "dist/mcpgw";
const started = performance.now();
await $`bun build src/cli/main.ts --compile --minify --sourcemap --no-compile-autoload-dotenv --no-compile-autoload-bunfig --outfile ${outfile}`;
const size = Bun.file(outfile).size;
console.log(`built ${outfile}: ${(size / 1024 / 1024).toFixed(1)} MiB in ${Math.round(performance.now() - started)} ms`);
