import { afterAll, beforeAll } from "bun:test";
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { startGateway } from "../oauth/helpers.ts";

// Headless Chromium for the pages of the browser leg (consent, dev-login), and the MCP client's loopback
// redirect URI it lands on. CI installs Debian's chromium (.ci/run); elsewhere a browser test is skipped
// with a message when /usr/bin/chromium is missing.

export const CHROMIUM = "/usr/bin/chromium";
export const BROWSER_TIMEOUT_MS = 30_000;

/** Whether the browser tests of `file` run here; says why not when they do not. */
export function chromiumAvailable(file: string): boolean {
  const available = existsSync(CHROMIUM) || Boolean(process.env.CI);
  if (!available) console.warn(`${file}: skipped, ${CHROMIUM} is not installed (apt-get install chromium)`);
  return available;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** An MCP client's redirect URI on loopback: records each /callback it receives. */
export function redirectReceiver(): { readonly server: ReturnType<typeof Bun.serve>; readonly redirectUri: string; readonly received: URL[] } {
  const received: URL[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const url = new URL(request.url);
      if (url.pathname !== "/callback") return new Response("not found", { status: 404 }); // e.g. /favicon.ico
      received.push(url);
      return new Response("<!doctype html><title>Client</title><p>You can close this window.</p>", { headers: { "content-type": "text/html" } });
    },
  });
  return { server, redirectUri: `http://127.0.0.1:${server.port}/callback`, received };
}

export interface BrowserLeg {
  gw: Awaited<ReturnType<typeof startGateway>>;
  browser: Browser;
  callback: ReturnType<typeof redirectReceiver>;
}

/** In a describe block: the gateway serving `project()`, Chromium, and the redirect receiver, around its tests. */
export function browserLeg(project: () => string): BrowserLeg {
  const leg = {} as BrowserLeg;
  beforeAll(async () => {
    leg.gw = await startGateway(project());
    leg.callback = redirectReceiver();
    leg.browser = await launchChromium();
  }, BROWSER_TIMEOUT_MS);
  afterAll(async () => {
    await leg.browser?.close();
    leg.callback?.server.stop(true);
    await leg.gw?.stop();
  });
  return leg;
}
