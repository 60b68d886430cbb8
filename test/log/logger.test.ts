import { describe, expect, it } from "bun:test";
import fc from "fast-check";
import { createLogger, errorFields, prettyLine } from "../../src/log/logger.ts";
import { REDACTED, SecretRegistry } from "../../src/log/redact.ts";

function capture(level: "trace" | "info" = "info") {
  const lines: string[] = [];
  const log = createLogger({ level, sink: { write: (l) => lines.push(l) } });
  return { log, lines, entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe("log stream", () => {
  it("writes one JSON object per line with time, level, event and msg", () => {
    const { log, lines, entries } = capture();
    log.info("gateway_listening", "listening", { url: "http://127.0.0.1:9000" });
    log.child({ requestId: "r1" }).warn("config_warning", "careful");
    expect(lines.every((l) => l.endsWith("\n") && !l.slice(0, -1).includes("\n"))).toBe(true);
    const [a, b] = entries();
    expect(a).toMatchObject({ level: "info", event: "gateway_listening", msg: "listening", url: "http://127.0.0.1:9000" });
    expect(new Date(String(a!.time)).toISOString()).toBe(String(a!.time));
    expect(b).toMatchObject({ level: "warn", event: "config_warning", requestId: "r1" });
  });

  it("drops entries below the level", () => {
    const { log, lines } = capture("info");
    log.debug("noise", "not shown");
    expect(lines).toEqual([]);
    expect(log.enabled("debug")).toBe(false);
  });

  it("masks credential-named fields at any depth", () => {
    const { log, entries } = capture();
    log.info("x", "m", { headers: { Authorization: "Bearer abc", cookie: "a=b", accept: "application/json" }, client: { client_secret: "s3", name: "n" }, refresh_token: "r" });
    const [e] = entries();
    expect(e!.headers).toEqual({ Authorization: REDACTED, cookie: REDACTED, accept: "application/json" });
    expect(e!.client).toEqual({ client_secret: REDACTED, name: "n" });
    expect(e!.refresh_token).toBe(REDACTED);
  });

  it("masks registered secret values and credential shapes wherever they appear, even in messages", () => {
    const secrets = new SecretRegistry();
    secrets.add("sk_live_supersecretvalue");
    secrets.add('quote"secret-value');
    const lines: string[] = [];
    const log = createLogger({ secrets, sink: { write: (l) => lines.push(l) } });
    log.error("upstream_failed", "upstream said sk_live_supersecretvalue was wrong", { detail: 'got quote"secret-value back' });
    log.info("t", "token at_AAAAAAAAAAAAAAAAAAAAAAAAAAAA and Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl");
    const text = lines.join("");
    expect(text).not.toContain("sk_live_supersecretvalue");
    expect(text).not.toContain("secret-value");
    expect(text).not.toContain("at_AAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    expect(text).not.toContain("eyJzdWIiOiIxIn0");
    expect(text.split(REDACTED).length - 1).toBeGreaterThanOrEqual(4);
    for (const l of lines) JSON.parse(l);
  });

  it("masks credential shapes exactly as the bare patterns would (the pre-checks only skip lines that cannot match)", () => {
    const patterns = [/\b(at|rt|ac|cs|sess)_[A-Za-z0-9_-]{16,}/g, /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g];
    const reference = (line: string) => patterns.reduce((out, pattern) => out.replace(pattern, REDACTED), line);
    const piece = fc.constantFrom("at_", "rt_", "ac_", "cs_", "sess_", "ss_", "xat_", "Bearer ", "BASIC  ", "eyJ", "ABCDEFGHijklmnop", "0123", ".", "_", "-", " ", '"', "é");
    fc.assert(fc.property(fc.array(piece, { maxLength: 24 }), (parts) => expect(new SecretRegistry().scrub(parts.join(""))).toBe(reference(parts.join("")))), { numRuns: 2000 });
  });

  it("flattens an error chain into err/cause fields", () => {
    const err = new Error("outer", { cause: new TypeError("inner") });
    expect(errorFields(err)).toEqual({ errName: "Error", errMessage: "outer", causeName: "TypeError", causeMessage: "inner" });
  });

  it("renders a pretty line for humans", () => {
    const line = prettyLine(JSON.stringify({ time: "2026-01-01T10:11:12.000Z", level: "info", event: "e", msg: "hello", port: 9000 }), false);
    expect(line).toBe("10:11:12 INFO  e  hello  port=9000\n");
  });

  it("writes what a terminal would act on as visible escapes: ESC, CSI, CR, bidi overrides (issue 18)", () => {
    const hostile = "a\u001b]0;pwned\u0007b\u009b2Jc\rd\u202ee\u2066f";
    const line = prettyLine(JSON.stringify({ time: "2026-01-01T10:11:12.000Z", level: "info", event: `e${hostile}`, msg: hostile, [`k${hostile}`]: hostile, n: [hostile] }), true);
    const ours = line.replaceAll("\u001b[32m", "").replaceAll("\u001b[0m", "");
    expect(ours).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(ours).toContain("a\\u001b]0;pwned\\u0007b\\u009b2Jc\\u000dd\\u202ee\\u2066f");
    expect(prettyLine("not json \u001b[2J\n", false)).toBe("not json \\u001b[2J\n");
  });
});

describe("stdout sink", () => {
  // Batches of lines across event-loop turns, then an immediate exit: whatever is still buffered must
  // be written on exit, after what went out before.
  const script = (batches: number) =>
    `import { createLogger } from ${JSON.stringify(`${import.meta.dir}/../../src/log/logger.ts`)};
     const log = createLogger();
     for (let b = 0; b < ${batches}; b++) {
       for (let i = 0; i < 1000; i++) log.info("line_written", "line", { i: b * 1000 + i });
       await new Promise((resolve) => setImmediate(resolve));
     }
     for (let i = 0; i < 1000; i++) log.info("line_written", "line", { i: ${batches} * 1000 + i });
     process.exit(0);`;
  const sequence = (text: string) => text.trimEnd().split("\n").map((l) => (JSON.parse(l) as { i: number }).i);

  it("delivers every line to a pipe, in order, also those still buffered at exit", async () => {
    const proc = Bun.spawn([process.execPath, "--no-env-file", "-e", script(10)], { stdout: "pipe", stderr: "inherit" });
    const text = await new Response(proc.stdout).text();
    await proc.exited;
    expect(sequence(text)).toEqual([...Array(11_000).keys()]);
  });

  it("delivers every line to a regular file, in order", async () => {
    const file = `${Bun.env.TMPDIR ?? "/tmp"}/mcpgw-log-${crypto.randomUUID()}.jsonl`;
    const proc = Bun.spawn([process.execPath, "--no-env-file", "-e", script(5)], { stdout: Bun.file(file), stderr: "inherit" });
    await proc.exited;
    const text = await Bun.file(file).text();
    await Bun.file(file).delete();
    expect(sequence(text)).toEqual([...Array(6_000).keys()]);
  });
});
