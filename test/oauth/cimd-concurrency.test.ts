import { expect, it } from "bun:test";
import { CIMD_MAX_CONCURRENT_FETCHES, CimdClientResolver } from "../../src/oauth/cimd.ts";
import { TemporarilyUnavailable } from "../../src/oauth/errors.ts";

// Issue 18 (low): concurrent CIMD fetches were unbounded, so a burst of authorize requests naming
// distinct client_id URLs opened a socket (held up to 5 s) each. A real document server that holds
// every answer until released shows the cap: 16 fetches run, the 17th is refused at once.

it("fetches at most 16 client metadata documents at once and refuses the rest with temporarily_unavailable", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let open = 0;
  let peak = 0;
  const server: ReturnType<typeof Bun.serve> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request): Promise<Response> {
      open++;
      peak = Math.max(peak, open);
      await gate;
      open--;
      const id = `http://127.0.0.1:${server.port}${new URL(request.url).pathname}`;
      return Response.json({ client_id: id, client_name: "Held", redirect_uris: ["http://127.0.0.1/cb"] });
    },
  });
  try {
    const resolver = new CimdClientResolver({ resolve: async () => ["127.0.0.1"], devMode: true }, Date.now);
    const url = (i: number) => `http://127.0.0.1:${server.port}/client-${i}`;
    const held = Array.from({ length: CIMD_MAX_CONCURRENT_FETCHES }, (_, i) => resolver.resolve(url(i)));
    // The same client_id again joins its fetch in flight rather than counting twice.
    const joined = resolver.resolve(url(0));
    const refused = await resolver.resolve(url(99)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TemporarilyUnavailable);
    expect((refused as TemporarilyUnavailable).status).toBe(503);
    release();
    expect((await Promise.all([...held, joined])).every((m) => m.client_name === "Held")).toBe(true);
    expect(peak).toBeLessThanOrEqual(CIMD_MAX_CONCURRENT_FETCHES);
    // With the fetches done, the next one runs.
    expect((await resolver.resolve(url(99))).client_name).toBe("Held");
  } finally {
    server.stop(true);
  }
});
