// The upstream the fuzzers aim at through the capability filter: a real loopback MCP server that
// answers every list with its whole catalogue (hidden entries included) and records every capability
// it was asked to run. It reads each body the loosest way any JSON decoder might: duplicate members
// all count, and member names match ignoring case and Unicode simple folding (Go's encoding/json), so
// whatever some upstream could run is recorded. The suite then checks the record holds only what the
// filter allows.

export const ALLOWED_TOOLS = ["echo", "add"] as const;
export const HIDDEN_TOOLS = ["secret_tool", "admin_delete"] as const;
export const ALLOWED_PROMPTS = ["greet"] as const;
export const HIDDEN_PROMPTS = ["leak_prompt"] as const;
export const ALLOWED_RESOURCES = ["test://readme"] as const;
export const HIDDEN_RESOURCES = ["test://secret"] as const;

/** One capability the upstream was asked to run: tools/call and prompts/get name it, resources/read by URI. */
export interface RunRecord {
  readonly method: "tools/call" | "prompts/get" | "resources/read";
  readonly target: string;
}

export interface RecordingUpstream {
  readonly url: string;
  readonly runs: RunRecord[];
  /** Runs of anything the filter hides. */
  hiddenRuns(): RunRecord[];
  stop(): void;
}

// ---- a JSON reader that keeps duplicate members --------------------------------------------------

type Loose = string | number | boolean | null | Loose[] | { readonly members: (readonly [string, Loose])[] };

class LooseReader {
  private i = 0;
  constructor(private readonly text: string) {}

  read(): Loose {
    const value = this.value();
    this.space();
    if (this.i !== this.text.length) throw new SyntaxError("trailing data");
    return value;
  }

  private space(): void {
    while (/[ \t\r\n]/.test(this.text[this.i] ?? "")) this.i++;
  }

  private value(): Loose {
    this.space();
    const c = this.text[this.i];
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') return this.string();
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(this.text.slice(this.i, this.i + 400));
    if (!m) throw new SyntaxError(`unexpected ${c} at ${this.i}`);
    this.i += m[0].length;
    return JSON.parse(m[0]) as Loose;
  }

  private string(): string {
    const end = /^"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/.exec(this.text.slice(this.i));
    if (!end) throw new SyntaxError(`bad string at ${this.i}`);
    this.i += end[0].length;
    return JSON.parse(end[0]) as string;
  }

  private array(): Loose[] {
    this.i++;
    const items: Loose[] = [];
    this.space();
    if (this.text[this.i] === "]") return this.i++, items;
    for (;;) {
      items.push(this.value());
      this.space();
      const c = this.text[this.i++];
      if (c === "]") return items;
      if (c !== ",") throw new SyntaxError("expected , or ]");
    }
  }

  private object(): Loose {
    this.i++;
    const members: (readonly [string, Loose])[] = [];
    this.space();
    if (this.text[this.i] === "}") return this.i++, { members };
    for (;;) {
      this.space();
      const key = this.string();
      this.space();
      if (this.text[this.i++] !== ":") throw new SyntaxError("expected :");
      members.push([key, this.value()]);
      this.space();
      const c = this.text[this.i++];
      if (c === "}") return { members };
      if (c !== ",") throw new SyntaxError("expected , or }");
    }
  }
}

/** Simple case folding as far as member names of MCP need it (ſ→s, K→k, any case). */
const fold = (name: string) => name.toUpperCase().toLowerCase();
const isObject = (v: Loose): v is { members: (readonly [string, Loose])[] } => typeof v === "object" && v !== null && !Array.isArray(v);
/** Every value any decoder might take for member `name` of `v`. */
const membersNamed = (v: Loose, name: string): Loose[] => (isObject(v) ? v.members.filter(([k]) => fold(k) === name).map(([, value]) => value) : []);

const RUNS = [
  ["tools/call", "name"],
  ["prompts/get", "name"],
  ["resources/read", "uri"],
] as const;

/** What one message could make an upstream run, read every way at once. */
export function runsIn(message: Loose): RunRecord[] {
  const out: RunRecord[] = [];
  const methods = membersNamed(message, "method");
  for (const [method, key] of RUNS) {
    if (!methods.includes(method)) continue;
    for (const params of membersNamed(message, "params")) {
      for (const target of membersNamed(params, key)) if (typeof target === "string") out.push({ method, target });
    }
  }
  return out;
}

/** Every run a body asks for, single message or batch; nothing when no decoder would read it. */
export function runsInBody(body: string): RunRecord[] {
  let parsed: Loose;
  try {
    parsed = new LooseReader(body).read();
  } catch {
    return [];
  }
  return (Array.isArray(parsed) ? parsed : [parsed]).flatMap(runsIn);
}

// ---- the server ------------------------------------------------------------------------------------

const schema = { type: "object" };
const CATALOGUE = {
  tools: [...ALLOWED_TOOLS, ...HIDDEN_TOOLS].map((name) => ({ name, description: `${name} tool`, inputSchema: schema })),
  prompts: [...ALLOWED_PROMPTS, ...HIDDEN_PROMPTS].map((name) => ({ name, description: `${name} prompt` })),
  resources: [...ALLOWED_RESOURCES, ...HIDDEN_RESOURCES].map((uri) => ({ uri, name: uri.slice(7), mimeType: "text/plain" })),
};

function answer(message: unknown): unknown {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return { jsonrpc: "2.0", id: null, error: { code: -32600, message: "Invalid Request" } };
  const m = message as { id?: unknown; method?: unknown };
  if (m.id === undefined || typeof m.method !== "string") return undefined;
  const result = (() => {
    switch (m.method) {
      case "initialize":
        return { protocolVersion: "2025-06-18", capabilities: { tools: {}, prompts: {}, resources: {} }, serverInfo: { name: "recording", version: "1" } };
      case "tools/list":
        return { tools: CATALOGUE.tools };
      case "prompts/list":
        return { prompts: CATALOGUE.prompts };
      case "resources/list":
        return { resources: CATALOGUE.resources };
      case "resources/templates/list":
        return { resourceTemplates: [] };
      case "tools/call":
        return { content: [{ type: "text", text: "ran" }] };
      case "prompts/get":
        return { messages: [] };
      case "resources/read":
        return { contents: [] };
      default:
        return {};
    }
  })();
  return { jsonrpc: "2.0", id: m.id, result };
}

export function startRecordingUpstream(): RecordingUpstream {
  const runs: RunRecord[] = [];
  const hidden = new Set<string>([...HIDDEN_TOOLS, ...HIDDEN_PROMPTS, ...HIDDEN_RESOURCES]);
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      if (request.method !== "POST") return new Response(null, { status: 405, headers: { allow: "POST" } });
      const body = new TextDecoder().decode(await request.arrayBuffer());
      runs.push(...runsInBody(body));
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return Response.json({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } }, { status: 400 });
      }
      const answers = (Array.isArray(parsed) ? parsed : [parsed]).map(answer).filter((a) => a !== undefined);
      if (answers.length === 0) return new Response(null, { status: 202 });
      return Response.json(Array.isArray(parsed) ? answers : answers[0]);
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/mcp`,
    runs,
    hiddenRuns: () => runs.filter((r) => hidden.has(r.target)),
    stop: () => void server.stop(true),
  };
}
