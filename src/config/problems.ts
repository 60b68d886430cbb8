// Every config mistake is reported as a ConfigProblem with a stable code users can grep in
// docs/configuration.md, the file, the JSON pointer, a line:column where the file has one, what is
// wrong and what to do. Validation collects all of them before reporting (never stop at the first).

export type Severity = "error" | "warning";

export interface ConfigProblem {
  readonly code: string;
  readonly severity: Severity;
  /** Path relative to the project root, e.g. `config/policies.json`. */
  readonly file: string;
  /** RFC 6901 JSON pointer into the file ("" for the whole file). */
  readonly pointer: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
  readonly hint: string;
}

export function pointerOf(segments: readonly (string | number)[]): string {
  return segments.map((s) => "/" + String(s).replace(/~/g, "~0").replace(/\//g, "~1")).join("");
}

export function errorsOnly(problems: readonly ConfigProblem[]): ConfigProblem[] {
  return problems.filter((p) => p.severity === "error");
}

/** `config/policies.json:12:7 /policies/0/name MCPGW_CONFIG_DUPLICATE_POLICY_NAME message\n  → hint` */
export function formatProblem(p: ConfigProblem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
  const tag = p.severity === "warning" ? "warning" : "error";
  return `${tag} ${p.code}\n  at ${where} ${p.pointer || "(file)"}\n  ${p.message}\n  → ${p.hint}`;
}
