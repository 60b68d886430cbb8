import { pointerOf, type ConfigProblem } from "./problems.ts";

// `$env(NAME)` is Zuplo's config-time syntax; `${env.NAME}` its handler-option syntax. A self-hosted
// gateway has no per-request environment, so both resolve when the project loads (and again on reload).

export interface EnvSource {
  /** Process environment first, then `.env` (the process wins, as in Zuplo and dotenv). */
  get(name: string): string | undefined;
  /** Whether the value is a secret the log stream must never show. */
  isSecret(name: string): boolean;
}

export interface DotEnv {
  values: Map<string, string>;
  /** Names marked with a `# @secret` comment on the line above. */
  marked: Set<string>;
}

/** Parse a `.env` file: KEY=VALUE, optional `export`, single/double quotes, `#` comments. */
export function parseDotEnv(text: string): DotEnv {
  const values = new Map<string, string>();
  const marked = new Set<string>();
  let markNext = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) {
      markNext = /^#\s*@secret\b/.test(line);
      continue;
    }
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    const name = m[1]!;
    let value = m[2]!;
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.lastIndexOf(quote) > 0) {
      value = value.slice(1, value.lastIndexOf(quote));
      if (quote === '"') value = value.replace(/\\n/g, "\n").replace(/\\"/g, '"');
    } else {
      value = value.replace(/\s+#.*$/, "");
    }
    values.set(name, value);
    if (markNext) marked.add(name);
    markNext = false;
  }
  return { values, marked };
}

export function envSource(processEnv: Record<string, string | undefined>, dotenv: DotEnv, isSecretName: (n: string) => boolean): EnvSource {
  return {
    get: (name) => processEnv[name] ?? dotenv.values.get(name),
    isSecret: (name) => dotenv.marked.has(name) || isSecretName(name),
  };
}

const ENV_REF = /\$env\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)|\$\{env\.([A-Za-z_][A-Za-z0-9_]*)\}/g;

export function hasEnvReference(s: string): boolean {
  ENV_REF.lastIndex = 0;
  return ENV_REF.test(s);
}

export interface SubstitutionResult {
  value: unknown;
  problems: ConfigProblem[];
  /** Values that came from secret variables, for the log redaction layer. */
  secrets: string[];
  /** JSON pointers of strings whose reference was left in place (unset, or not allowed there): already reported. */
  unresolved: Set<string>;
  /** JSON pointer → where its value came from, e.g. `${env.UPSTREAM} is "ftp://x"`, for later problems. */
  origins: Map<string, string>;
}

/**
 * Replace env references in every string below `value`. `allowed(path)` says whether a path may hold
 * references (Zuplo allows them only inside handler/policy options); elsewhere they are an error.
 */
export function substituteEnv(
  value: unknown,
  file: string,
  basePath: (string | number)[],
  env: EnvSource,
  allowed: (path: (string | number)[]) => boolean,
  locate: (path: (string | number)[]) => { line: number; column: number } | undefined,
): SubstitutionResult {
  const problems: ConfigProblem[] = [];
  const secrets: string[] = [];
  const unresolved = new Set<string>();
  const origins = new Map<string, string>();
  const walk = (v: unknown, path: (string | number)[]): unknown => {
    if (typeof v === "string") {
      if (!hasEnvReference(v)) return v;
      if (!allowed(path)) {
        unresolved.add(pointerOf(path));
        problems.push({
          code: "MCPGW_CONFIG_ENV_NOT_ALLOWED",
          severity: "error",
          file,
          pointer: pointerOf(path),
          ...locate(path),
          message: "An $env() statement is not expected at this location.",
          hint: "Environment references are only resolved inside handler.options and policy handler.options; put a literal value here.",
        });
        return v;
      }
      ENV_REF.lastIndex = 0;
      const from: string[] = [];
      const out = v.replace(ENV_REF, (whole, a: string | undefined, b: string | undefined) => {
        const name = (a ?? b)!;
        const resolved = env.get(name);
        if (resolved === undefined) {
          unresolved.add(pointerOf(path));
          problems.push({
            code: "MCPGW_CONFIG_ENV_UNSET",
            severity: "error",
            file,
            pointer: pointerOf(path),
            ...locate(path),
            message: `The environment variable ${name} is not set (referenced as ${whole}).`,
            hint: `Set ${name} in the process environment or in .env at the project root (see .env.example).`,
          });
          return whole;
        }
        const secret = env.isSecret(name);
        if (secret) secrets.push(resolved);
        from.push(secret ? `${whole} is set (a secret: value not shown)` : `${whole} is ${JSON.stringify(resolved)}`);
        return resolved;
      });
      if (from.length > 0) origins.set(pointerOf(path), from.join(", "));
      return out;
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]));
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) out[k] = walk(item, [...path, k]);
      return out;
    }
    return v;
  };
  return { value: walk(value, basePath), problems, secrets, unresolved, origins };
}
