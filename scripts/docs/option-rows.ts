import type * as v from "valibot";
import type { OptionDocs } from "../../src/schemas/option-docs.ts";

// Reads a valibot schema as data (valibot 1.x schemas are plain objects: `type`, `entries`, `wrapped`,
// `pipe`, …) and lists every option it accepts: its path, type, default and the constraints its pipe
// checks. The prose comes from the OptionDocs next to the schema; an option without a line there, or a
// line for an option the schema no longer has, is an error, so the reference cannot fall behind.

export interface OptionRow {
  /** `gateway.accessTokenTtlSeconds`, `headers[].name`, `mtlsCertificates.<name>.certFile`. */
  readonly path: string;
  readonly type: string;
  /** False for an option that may be left out (inside an object that is given, for nested options). */
  readonly required: boolean;
  /** The default as JSON, when the schema has one. */
  readonly defaultValue?: string;
  readonly constraints: readonly string[];
  readonly description: string;
}

export interface OptionTable {
  readonly rows: readonly OptionRow[];
  /** Checks on the whole options object (one field against another), in the schema's words. */
  readonly rules: readonly string[];
  /** Whether keys the schema does not name are refused or ignored. */
  readonly unknownKeys: "refused" | "ignored";
}

type Node = v.GenericSchema & {
  readonly type: string;
  readonly pipe?: readonly Node[];
  readonly wrapped?: Node;
  readonly default?: unknown;
  readonly entries?: Readonly<Record<string, Node>>;
  readonly item?: Node;
  readonly key?: Node;
  readonly value?: Node;
  readonly options?: readonly unknown[];
  readonly literal?: unknown;
  readonly getter?: (input: unknown) => Node;
  readonly message?: unknown;
};

interface Action {
  readonly kind: string;
  readonly type: string;
  readonly requirement?: unknown;
  readonly message?: unknown;
  readonly description?: string;
}

const OPTIONAL = new Set(["optional", "exact_optional", "nullish", "undefinedable"]);
const OBJECTS = new Set(["object", "strict_object", "loose_object"]);
/** Actions that say nothing a reader can use; the option's description says what they do. */
const SILENT = new Set(["transform"]);

interface Unwrapped {
  readonly base: Node;
  readonly optional: boolean;
  readonly defaultValue?: unknown;
  readonly actions: readonly Action[];
}

/** Peels optional wrappers and pipes off a schema: the base schema, its default and every pipe action. */
function unwrap(schema: Node): Unwrapped {
  const actions: Action[] = [];
  let optional = false;
  let defaultValue: unknown;
  let node = schema;
  for (;;) {
    if (OPTIONAL.has(node.type) && node.wrapped) {
      optional = true;
      if (defaultValue === undefined && node.default !== undefined) {
        defaultValue = typeof node.default === "function" ? (node.default as () => unknown)() : node.default;
      }
      node = node.wrapped;
    } else if (node.pipe) {
      // pipe[0] is the piped schema itself; its own actions come before this pipe's. A schema later in
      // the pipe (`v.pipe(v.string(), v.check(…), v.picklist([…]))`) narrows the type: it is the type.
      const rest = node.pipe.slice(1) as unknown as (Action | Node)[];
      const narrowing = rest.findLast((a) => (a as { kind?: string }).kind === "schema") as Node | undefined;
      actions.unshift(...(rest.filter((a) => (a as { kind?: string }).kind !== "schema") as Action[]));
      node = narrowing ?? node.pipe[0]!;
    } else {
      return { base: node, optional, defaultValue, actions };
    }
  }
}

/** The branches a `v.lazy` picks between, found by asking it about a string and an object. */
function lazyBranches(node: Node): Node[] {
  const branches = [node.getter!(""), node.getter!({})];
  return branches.filter((b, i) => branches.indexOf(b) === i);
}

function typeName(u: Unwrapped): string {
  const { base } = u;
  switch (base.type) {
    case "number":
      return u.actions.some((a) => a.type === "integer") ? "integer" : "number";
    case "string":
    case "boolean":
      return base.type;
    case "literal":
      return JSON.stringify(base.literal);
    case "picklist":
      return base.options!.map((o) => JSON.stringify(o)).join(" | ");
    case "union":
      return (base.options as Node[]).map((o) => typeName(unwrap(o))).join(" | ");
    case "lazy":
      return lazyBranches(base).map((b) => typeName(unwrap(b))).join(" | ");
    case "array": {
      const item = typeName(unwrap(base.item!));
      return item.includes("|") ? `(${item})[]` : `${item}[]`;
    }
    case "record":
      return `{ <name>: ${typeName(unwrap(base.value!))} }`;
    case "variant":
      return "object";
    case "unknown":
    case "any":
    case "custom":
      return "any";
    default:
      if (OBJECTS.has(base.type)) return "object";
      throw new Error(`docs-reference: no type name for valibot schema "${base.type}"; teach scripts/docs/option-rows.ts`);
  }
}

function constraintsOf(u: Unwrapped): string[] {
  const out: string[] = [];
  const unit = u.base.type === "array" ? "item" : "character";
  const count = (n: number) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  if (u.base.type === "custom" && typeof u.base.message === "string") out.push(`check: ${quote(u.base.message)}`);
  for (const action of u.actions) {
    if (action.kind === "metadata" || SILENT.has(action.type)) continue;
    switch (action.type) {
      case "integer":
        break;
      case "min_value":
        out.push(`≥ ${numberText(action.requirement as number)}`);
        break;
      case "max_value":
        out.push(`≤ ${numberText(action.requirement as number)}`);
        break;
      case "min_length":
        out.push(action.requirement === 1 && unit === "character" ? "not empty" : `at least ${count(action.requirement as number)}`);
        break;
      case "max_length":
        out.push(`at most ${count(action.requirement as number)}`);
        break;
      case "regex":
        out.push(`matches ${code(String(action.requirement))}${typeof action.message === "string" ? ` (${quote(action.message)})` : ""}`);
        break;
      case "url":
        out.push("an absolute URL");
        break;
      case "to_lower_case":
        out.push("lower-cased");
        break;
      case "raw_check":
        // A function that reports its own messages (several, or none): nothing to quote, but the reader
        // must know the value is checked beyond its type. The description says what is accepted.
        out.push("further checks (see the description)");
        break;
      case "check":
        // The check's own error message: what a value that fails it is told.
        if (typeof action.message === "string") out.push(`check: ${quote(action.message)}`);
        break;
      default:
        throw new Error(`docs-reference: no wording for the valibot action "${action.type}"; teach scripts/docs/option-rows.ts`);
    }
  }
  return out;
}

/** A description given with `v.description(…)` in the schema itself. */
function inlineDescription(u: Unwrapped): string | undefined {
  return u.actions.find((a) => a.type === "description")?.description;
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

interface Collected {
  readonly path: string;
  readonly unwrapped: Unwrapped;
  readonly constraints: string[];
  /** Set when the row merges the same option of several variants (`v.variant`). */
  readonly type?: string;
  readonly required?: boolean;
}

/** Depth first, in the schema's own key order, so the table is as stable as the source. */
function collect(schema: Node, path: string, into: Collected[]): void {
  const u = unwrap(schema);
  const constraints = constraintsOf(u);
  into.push({ path, unwrapped: u, constraints });
  const { base } = u;
  if (OBJECTS.has(base.type)) {
    collectEntries(base, path, into);
  } else if (base.type === "array") {
    const item = unwrap(base.item!);
    const branches = item.base.type === "lazy" ? lazyBranches(item.base).map(unwrap) : [item];
    for (const branch of branches) {
      if (OBJECTS.has(branch.base.type)) collectEntries(branch.base, `${path}[]`, into);
      const what = OBJECTS.has(branch.base.type) ? "object" : typeName(branch);
      for (const c of constraintsOf(branch)) constraints.push(`each ${what}: ${c}`);
    }
  } else if (base.type === "union") {
    const options = (base.options as Node[]).map(unwrap);
    const objects = options.filter((o) => OBJECTS.has(o.base.type));
    // `false | { … }` (a limit that can be turned off): the object's options are rows of their own.
    if (objects.length > 1) throw new Error(`docs-reference: ${path} is a union of several objects; use v.variant, or teach scripts/docs/option-rows.ts`);
    if (objects[0]) collectEntries(objects[0].base, path, into);
    for (const option of options) {
      for (const c of constraintsOf(option)) constraints.push(`${typeName(option)}: ${c}`);
    }
  } else if (base.type === "variant") {
    collectVariant(base, path, into, constraints);
  } else if (base.type === "record") {
    for (const c of constraintsOf(unwrap(base.key!))) constraints.push(`each name: ${c}`);
    const value = unwrap(base.value!);
    if (OBJECTS.has(value.base.type)) collectEntries(value.base, `${path}.<name>`, into);
    for (const c of constraintsOf(value)) constraints.push(`each entry: ${c}`);
  }
}

function collectEntries(object: Node, path: string, into: Collected[]): void {
  for (const [key, entry] of Object.entries(object.entries!)) collect(entry, join(path, key), into);
}

/**
 * `v.variant(key, [objects])`: one row per option across the objects, in order of first appearance. An
 * option every object has is required when each requires it, its type the union of theirs; an option
 * only some have says with which `key` values it is taken (and required).
 */
function collectVariant(variant: Node, path: string, into: Collected[], constraints: string[]): void {
  const key = (variant as unknown as { key: string }).key;
  const objects = (variant.options as Node[]).map(unwrap);
  const perObject = objects.map((object) => {
    if (!OBJECTS.has(object.base.type)) throw new Error(`docs-reference: ${path} is a variant of something other than objects; teach scripts/docs/option-rows.ts`);
    const discriminator = unwrap(object.base.entries![key]!);
    const label = `${key} ${typeName(discriminator)}`;
    for (const c of constraintsOf(object)) constraints.push(`with ${label}: ${c}`);
    const rows: Collected[] = [];
    collectEntries(object.base, path, rows);
    return { label, rows: new Map(rows.map((r) => [r.path, r])) };
  });
  const order = [...new Set(perObject.flatMap((o) => [...o.rows.keys()]))];
  for (const rowPath of order) {
    const having = perObject.filter((o) => o.rows.has(rowPath));
    const rows = having.map((o) => o.rows.get(rowPath)!);
    const everywhere = having.length === perObject.length;
    const requiredEach = rows.every((r) => r.required ?? !r.unwrapped.optional);
    const merged = [...new Set(rows.flatMap((r) => r.constraints))];
    if (!everywhere) {
      const labels = having.map((o) => o.label).join(" or ");
      merged.unshift(requiredEach ? `required with ${labels}, taken only then` : `only with ${labels}`);
    }
    into.push({
      path: rowPath,
      unwrapped: rows[0]!.unwrapped,
      constraints: merged,
      type: [...new Set(rows.map((r) => r.type ?? typeName(r.unwrapped)))].join(" | "),
      required: everywhere && requiredEach,
    });
  }
}

/**
 * Every option of `schema` with `docs`' words. Throws, naming them, when an option has no description
 * or a description names no option.
 */
export function optionTable(schema: v.GenericSchema, docs: OptionDocs, name: string): OptionTable {
  const collected: Collected[] = [];
  const root = unwrap(schema as Node);
  if (!OBJECTS.has(root.base.type)) throw new Error(`docs-reference: the options of ${name} are not an object schema`);
  collectEntries(root.base, "", collected);
  // Checks on the whole object compare one option with another: the reference lists them as rules.
  const rules = constraintsOf(root);
  const undocumented = collected.filter((c) => docs.options[c.path] === undefined && inlineDescription(c.unwrapped) === undefined).map((c) => c.path);
  const paths = new Set(collected.map((c) => c.path));
  const stale = Object.keys(docs.options).filter((p) => !paths.has(p));
  if (undocumented.length > 0 || stale.length > 0) {
    throw new Error(
      [
        `docs-reference: the options of ${name} and their descriptions differ.`,
        ...(undocumented.length ? [`  no description for: ${undocumented.join(", ")}`] : []),
        ...(stale.length ? [`  description for an option the schema does not have: ${stale.join(", ")}`] : []),
        "  Add or remove the line in the OptionDocs next to the schema, then run npm run docs:reference.",
      ].join("\n"),
    );
  }
  const rows = collected.map(({ path, unwrapped, constraints, type, required }) => ({
    path,
    type: type ?? typeName(unwrapped),
    required: required ?? !unwrapped.optional,
    ...(unwrapped.defaultValue !== undefined ? { defaultValue: JSON.stringify(unwrapped.defaultValue) } : {}),
    constraints,
    description: inlineDescription(unwrapped) ?? docs.options[path]!,
  }));
  return { rows, rules, unknownKeys: root.base.type === "loose_object" || root.base.type === "object" ? "ignored" : "refused" };
}

/** A bound as a reader writes it: `1/60` rather than 0.016666666666666666. */
function numberText(n: number): string {
  if (Number.isInteger(n)) return String(n);
  const inverse = 1 / n;
  if (Math.abs(inverse - Math.round(inverse)) < 1e-9) return `1/${Math.round(inverse)}`;
  return String(Number(n.toPrecision(6)));
}

function quote(message: string): string {
  return `“${message}”`;
}

/** Markdown inline code that survives backticks in the text. */
export function code(text: string): string {
  return text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``;
}
