import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { GatewayEvent, GatewayEventType } from "../events.ts";
import type { ObserverSink } from "../observer.ts";
import type { RouteUpstreams } from "../route-upstreams.ts";
import { CappedLabel, methodLabel, OTHER } from "./labels.ts";

// The Prometheus metrics as an observer sink: every series is derived from the events the gateway
// already reports (docs/observability.md lists them), so the request path has no metrics code at all.
// Labels are bounded (labels.ts): route and upstream come from the configuration, method and outcome
// from fixed sets, and what a client can choose (capability names, reason codes) is capped.

export interface MetricsSinkOptions {
  /** Where the series are registered; a fresh registry by default (never prom-client's global one). */
  readonly registry?: Registry;
  readonly build: { readonly version: string; readonly commit: string };
  readonly upstreams: RouteUpstreams;
  /** The store's size in bytes at scrape time, or undefined when it cannot be known. */
  readonly storeBytes?: () => number | undefined;
  /** Distinct capability names given their own label value (default 100); the rest count as "_other". */
  readonly capabilityLimit?: number;
}

/** Seconds. The proxied call as a whole: from a few ms (a cached tools/list) to a minute-long tool. */
const CALL_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Seconds. The gateway's own share of a call: tens of µs normally, ms when the store is consulted. */
const GATEWAY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** mcp_auth events that refuse something, whose `reasonCode` says why. */
const REFUSAL = /_(rejected|refused|reuse_detected|ignored)$/;

/** Capability names are counted for these methods only: a resource URI is not a name and could be anything. */
const NAMED_CAPABILITY_METHODS: ReadonlySet<string> = new Set(["tools/call", "prompts/get"]);

const AUTH_PREFIX = "mcp_auth_";

interface CallSeries {
  readonly requests: { inc(): void };
  readonly duration: { observe(seconds: number): void };
  readonly gatewayDuration: { observe(seconds: number): void };
  readonly upstreamDuration: { observe(seconds: number): void };
}

export class MetricsSink implements ObserverSink {
  readonly registry: Registry;
  private readonly upstreams: RouteUpstreams;
  private readonly capabilities: CappedLabel;
  /** Reason codes are constants in the code today; capped anyway, since a policy may report its own. */
  private readonly reasons = new CappedLabel(64);
  private readonly authEventNames = new CappedLabel(64);
  /** Routes seen in OAuth events come from stored grants, not the current config: capped too. */
  private readonly authRoutes = new CappedLabel(256);

  private readonly requests: Counter<"route" | "upstream" | "method" | "outcome">;
  private readonly capabilityCalls: Counter<"route" | "method" | "capability" | "outcome">;
  private readonly duration: Histogram<"route" | "method">;
  private readonly gatewayDuration: Histogram<"route" | "method">;
  private readonly upstreamDuration: Histogram<"route" | "upstream" | "method">;
  private readonly rejections: Counter<"route" | "reason" | "origin">;
  private readonly rateLimited: Counter<"route">;
  private readonly authEvents: Counter<"event">;
  private readonly tokensIssued: Counter<"route" | "grant_type">;
  private readonly authRefusals: Counter<"event" | "reason">;
  private readonly boundSeries = new Map<string, CallSeries>();
  private readonly boundCapabilities = new Map<string, { inc(): void }>();

  constructor(options: MetricsSinkOptions) {
    const registers = [(this.registry = options.registry ?? new Registry())];
    this.upstreams = options.upstreams;
    this.capabilities = new CappedLabel(options.capabilityLimit ?? 100);

    this.requests = new Counter({
      name: "mcpgw_mcp_requests_total",
      help: "Proxied MCP calls (JSON-RPC POSTs that reached the upstream step), by route (operationId), upstream, MCP method and outcome.",
      labelNames: ["route", "upstream", "method", "outcome"],
      registers,
    });
    this.capabilityCalls = new Counter({
      name: "mcpgw_mcp_capability_calls_total",
      help: `tools/call and prompts/get calls by capability name; the first ${options.capabilityLimit ?? 100} distinct names have their own value, later ones count as ${OTHER}.`,
      labelNames: ["route", "method", "capability", "outcome"],
      registers,
    });
    this.duration = new Histogram({
      name: "mcpgw_mcp_request_duration_seconds",
      help: "Proxied MCP calls from arrival to the end of the answer, as the gateway saw them.",
      labelNames: ["route", "method"],
      buckets: CALL_BUCKETS,
      registers,
    });
    this.gatewayDuration = new Histogram({
      name: "mcpgw_mcp_gateway_duration_seconds",
      help: "The gateway's own share of a proxied call: the whole call minus the time spent waiting for the upstream.",
      labelNames: ["route", "method"],
      buckets: GATEWAY_BUCKETS,
      registers,
    });
    this.upstreamDuration = new Histogram({
      name: "mcpgw_mcp_upstream_duration_seconds",
      help: "From sending a call upstream to the end of the upstream's answer.",
      labelNames: ["route", "upstream", "method"],
      buckets: CALL_BUCKETS,
      registers,
    });
    this.rejections = new Counter({
      name: "mcpgw_mcp_rejections_total",
      help: "Requests to MCP routes answered before any upstream call (mcp_request_rejected), by reason code and failure origin.",
      labelNames: ["route", "reason", "origin"],
      registers,
    });
    this.rateLimited = new Counter({
      name: "mcpgw_rate_limit_refusals_total",
      help: "Requests refused by a rate limit (mcp_request_rejected with reasonCode rate_limited).",
      labelNames: ["route"],
      registers,
    });
    this.authEvents = new Counter({
      name: "mcpgw_auth_events_total",
      help: "Events of the authorization server (mcp_auth_*, without the prefix), e.g. client_registered, downstream_token_revoked.",
      labelNames: ["event"],
      registers,
    });
    this.tokensIssued = new Counter({
      name: "mcpgw_oauth_tokens_issued_total",
      help: "Token responses of the gateway's authorization server, by route and grant type.",
      labelNames: ["route", "grant_type"],
      registers,
    });
    this.authRefusals = new Counter({
      name: "mcpgw_oauth_refusals_total",
      help: "Refusals of the authorization server and the MCP OAuth policy (mcp_auth_*_rejected/refused/reuse_detected/ignored), by event and reason code.",
      labelNames: ["event", "reason"],
      registers,
    });

    new Gauge({
      name: "mcpgw_build_info",
      help: "Always 1; the labels carry the running mcpgw's version and commit.",
      labelNames: ["version", "commit"],
      registers,
    }).set({ version: options.build.version, commit: options.build.commit }, 1);

    const storeBytes = options.storeBytes;
    if (storeBytes) {
      new Gauge({
        name: "mcpgw_store_size_bytes",
        help: "Size of the store on disk (the SQLite file and its write-ahead log), read at scrape time.",
        registers,
        collect() {
          const bytes = storeBytes();
          if (bytes !== undefined) this.set(bytes);
        },
      });
    }
    registerProcessMetrics(registers);
  }

  wants(type: GatewayEventType): boolean {
    return type === "capability_invocation_completed" || type === "mcp_request_rejected" || type === "mcp_auth";
  }

  handle(event: GatewayEvent): void {
    switch (event.type) {
      case "capability_invocation_completed": {
        const operationId = event.scope.fields.operationId;
        const route = typeof operationId === "string" ? operationId : OTHER;
        const upstream = this.upstreams.of(operationId).label;
        const method = methodLabel(event.call);
        const { outcome, upstreamMs } = event.completion;
        const series = this.callSeries(route, upstream, method, outcome);
        series.requests.inc();
        if (NAMED_CAPABILITY_METHODS.has(method)) this.capabilityCounter(route, method, this.capabilities.value(event.call.capabilityName), outcome).inc();
        series.duration.observe(event.latencyMs / 1000);
        series.gatewayDuration.observe(Math.max(0, event.latencyMs - upstreamMs) / 1000);
        series.upstreamDuration.observe(upstreamMs / 1000);
        return;
      }
      case "mcp_request_rejected": {
        const operationId = event.scope.fields.operationId;
        const route = typeof operationId === "string" ? operationId : OTHER;
        const { reasonCode, failureOrigin } = event.rejection;
        this.rejections.inc({ route, reason: this.reasons.value(reasonCode), origin: failureOrigin });
        if (reasonCode === "rate_limited") this.rateLimited.inc({ route });
        return;
      }
      case "mcp_auth": {
        const name = event.name.startsWith(AUTH_PREFIX) ? event.name.slice(AUTH_PREFIX.length) : event.name;
        const label = this.authEventNames.value(name);
        this.authEvents.inc({ event: label });
        const fields = event.fields;
        if (name === "downstream_token_issued") {
          this.tokensIssued.inc({ route: this.authRoutes.value(str(fields.operationId)), grant_type: str(fields.grantType) ?? OTHER });
        } else if (REFUSAL.test(name)) {
          this.authRefusals.inc({ event: label, reason: this.reasons.value(str(fields.reasonCode) ?? "none") });
        }
        return;
      }
      case "mcp_request_accepted":
      case "capability_invocation_started":
        return;
    }
  }

  /**
   * The series one completion updates, bound to their labels once: prom-client validates and hashes a
   * labels object on every inc/observe, which measured ~17 µs per tools/call completion; bound children
   * bring it to ~7 µs (docs/observability.md#cost). The maps are as bounded as the labels.
   */
  private callSeries(route: string, upstream: string, method: string, outcome: string): CallSeries {
    const key = `${route}\u0000${upstream}\u0000${method}\u0000${outcome}`;
    let series = this.boundSeries.get(key);
    if (!series) {
      series = {
        requests: this.requests.labels({ route, upstream, method, outcome }),
        duration: this.duration.labels({ route, method }),
        gatewayDuration: this.gatewayDuration.labels({ route, method }),
        upstreamDuration: this.upstreamDuration.labels({ route, upstream, method }),
      };
      this.boundSeries.set(key, series);
    }
    return series;
  }

  private capabilityCounter(route: string, method: string, capability: string, outcome: string): { inc(): void } {
    const key = `${route}\u0000${method}\u0000${capability}\u0000${outcome}`;
    let counter = this.boundCapabilities.get(key);
    if (!counter) this.boundCapabilities.set(key, (counter = this.capabilityCalls.labels({ route, method, capability, outcome })));
    return counter;
  }

  /** The exposition text and its Content-Type, for GET /metrics. */
  async scrape(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}

const str = (value: unknown) => (typeof value === "string" ? value : undefined);

/**
 * The process metrics every Prometheus client library exports, under their standard names. Not
 * prom-client's collectDefaultMetrics: under Bun its nodejs_* heap series describe V8, which is not there.
 */
function registerProcessMetrics(registers: Registry[]): void {
  new Gauge({ name: "process_start_time_seconds", help: "Start time of the process since the Unix epoch, in seconds.", registers }).set(Math.round((performance.timeOrigin ?? Date.now()) / 1000));
  new Gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes.",
    registers,
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  new Counter({
    name: "process_cpu_seconds_total",
    help: "Total user and system CPU time spent, in seconds.",
    registers,
    collect() {
      const cpu = process.cpuUsage();
      this.reset();
      this.inc((cpu.user + cpu.system) / 1e6);
    },
  });
}
