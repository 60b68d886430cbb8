import { SettingsSchema } from "../../../src/config/project-file.ts";
import { policy } from "../../helpers/gateway.ts";
import { MCP_ZUPLO, mcpRoute, routesDoc, writeProject } from "../../helpers/project.ts";
import { obtainTokens, OAUTH_POLICY, oauthPolicy, type IssuedTokens } from "../../oauth/helpers.ts";
import { startSuiteGateway, type SuiteGateway } from "./gateway.ts";
import { ALLOWED_PROMPTS, ALLOWED_RESOURCES, ALLOWED_TOOLS, startRecordingUpstream, type RecordingUpstream } from "./recording-upstream.ts";

// The gateway the fuzzers run against, with everything it talks to on loopback: the recording
// upstream behind the capability filter (one route with the full chain, OAuth then filter, one with
// the filter alone), a server for the client metadata documents a case invents, and real clients and
// tokens from the OAuth flow.

export const FULL_ROUTE = "/mcp/full";
export const FILTER_ROUTE = "/mcp/open";
/** The same upstream with no filter: the control that shows the suite can see a hidden tool run. */
export const UNFILTERED_ROUTE = "/mcp/unfiltered";
const FILTER_POLICY = "fuzz-filter";

/** Small limits, so cases reach them: bodies, depth, batch length, timeouts. */
export const FUZZ_PROXY_LIMITS = {
  maxRequestBodyBytes: 64 * 1024,
  maxConcurrentBodyBytes: 4 * 1024 * 1024,
  maxJsonDepth: 32,
  maxBatchSize: 16,
  requestTimeoutMs: 5_000,
  connectTimeoutMs: 1_000,
  sseIdleTimeoutMs: 2_000,
};

/**
 * `mcpgw.oauth` with the per-address limits off, when this build has them (issue 18's OAuth branch):
 * every fuzz case comes from 127.0.0.1, and a limit would turn all but the first few into 429s.
 */
export function unlimitedOAuthSettings(): Record<string, unknown> {
  if (!("oauth" in SettingsSchema.entries)) return {};
  return { oauth: { rateLimits: { register: false, authorize: false, token: false }, maxRegisteredClients: 1_000_000, maxPendingAuthorizations: 1_000_000 } };
}

/** A loopback server for client metadata documents: each case puts its own at a fresh path. */
export interface DocumentServer {
  readonly origin: string;
  put(path: string, answer: { status: number; headers: Record<string, string>; body: string | Uint8Array<ArrayBuffer> }): string;
  stop(): void;
}

export function startDocumentServer(): DocumentServer {
  const documents = new Map<string, { status: number; headers: Record<string, string>; body: string | Uint8Array<ArrayBuffer> }>();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const doc = documents.get(new URL(request.url).pathname);
      if (!doc) return new Response("no such document", { status: 404 });
      return new Response(doc.body, { status: doc.status, headers: doc.headers });
    },
  });
  const origin = `http://127.0.0.1:${server.port}`;
  return {
    origin,
    put(path, answer) {
      documents.set(path, answer);
      return `${origin}${path}`;
    },
    stop: () => void server.stop(true),
  };
}

export interface FuzzClient {
  readonly clientId: string;
  readonly tokens: IssuedTokens;
}

export interface FuzzTarget {
  readonly gateway: SuiteGateway;
  readonly upstream: RecordingUpstream;
  readonly documents: DocumentServer;
  /** Clients registered through DCR, each with a grant for FULL_ROUTE. */
  readonly clients: readonly FuzzClient[];
  /** Cases that asked, some way a decoder could read, for a capability the filter hides. */
  readonly stats: { hiddenAttempts: number };
  stop(): Promise<void>;
}

export async function startFuzzTarget(clientCount = 3): Promise<FuzzTarget> {
  const upstream = startRecordingUpstream();
  const documents = startDocumentServer();
  const filter = policy(FILTER_POLICY, "mcp-capability-filter-inbound", "McpCapabilityFilterInboundPolicy", {
    tools: [...ALLOWED_TOOLS],
    prompts: [...ALLOWED_PROMPTS],
    resources: [...ALLOWED_RESOURCES],
  });
  const project = writeProject({
    zuplo: { ...MCP_ZUPLO, mcpgw: { proxy: FUZZ_PROXY_LIMITS, ...unlimitedOAuthSettings() } },
    policies: { policies: [oauthPolicy(), filter] },
    routes: routesDoc({
      [FULL_ROUTE]: { "get,post": mcpRoute("full", upstream.url, [OAUTH_POLICY, FILTER_POLICY]) },
      [FILTER_ROUTE]: { "get,post": mcpRoute("open", upstream.url, [FILTER_POLICY]) },
      [UNFILTERED_ROUTE]: { "get,post": mcpRoute("unfiltered", upstream.url, []) },
    }),
  });
  // Warnings and above: a fuzz run writes tens of thousands of requests, and only failures matter.
  const gateway = await startSuiteGateway(project, { logLevel: "warn" });
  const clients: FuzzClient[] = [];
  for (let i = 0; i < clientCount; i++) clients.push(await obtainTokens(gateway.url, FULL_ROUTE));
  return {
    gateway,
    upstream,
    documents,
    clients,
    stats: { hiddenAttempts: 0 },
    async stop() {
      await gateway.stop();
      upstream.stop();
      documents.stop();
    },
  };
}
