// RFC 6570 URI templates, matched in reverse: does some expansion of the template equal this URI?
// Variable values are matched as loosely as the MCP SDK's matcher does (any character except the
// separator the operator uses), so URIs that upstream servers accept are not refused here, while a
// simple `{var}` never spans a `/`. Matching runs over the URI once per template part with a
// reachable-position set: linear time, so a long URI cannot trigger regex backtracking.

interface Expression {
  /** RFC 6570 §3.2 operator prefix (`#`, `.`, `/`, `;`, `?`, `&`); absent for `{var}` and `{+var}`. */
  readonly prefix?: string;
  /** Characters a variable value may contain. */
  readonly allows: (char: string) => boolean;
  /** With a prefix, `{/a,b}` and exploded lists repeat it: `/x/y`. */
  readonly repeat: boolean;
}

type TemplatePart = string | Expression;

const anyChar = () => true;
const notSlash = (c: string) => c !== "/";
const notHash = (c: string) => c !== "#";

const OPERATORS: Readonly<Record<string, Expression>> = {
  "": { allows: notSlash, repeat: false },
  "+": { allows: anyChar, repeat: false },
  "#": { prefix: "#", allows: anyChar, repeat: false },
  ".": { prefix: ".", allows: notSlash, repeat: true },
  "/": { prefix: "/", allows: notSlash, repeat: true },
  ";": { prefix: ";", allows: notSlash, repeat: true },
  "?": { prefix: "?", allows: notHash, repeat: false },
  "&": { prefix: "&", allows: notHash, repeat: true },
};

// RFC 6570 §2.3: varname = varchar *( ["."] varchar ), varchar = ALPHA / DIGIT / "_" / pct-encoded;
// modifiers are a prefix length (`:1`–`:9999`) or explode (`*`).
const VARSPEC = /^(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})(?:\.?(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2}))*(?::[1-9][0-9]{0,3}|\*)?$/;

/** Parses a URI template into literal and expression parts; undefined when it is malformed. */
export function parseUriTemplate(template: string): TemplatePart[] | undefined {
  const parts: TemplatePart[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf("{", i);
    const literal = template.slice(i, open === -1 ? undefined : open);
    if (literal.includes("}")) return undefined;
    if (literal !== "") parts.push(literal);
    if (open === -1) break;
    const close = template.indexOf("}", open);
    if (close === -1) return undefined;
    const body = template.slice(open + 1, close);
    const operator = body[0] !== undefined && body[0] in OPERATORS ? body[0] : "";
    const expression = OPERATORS[operator];
    if (expression === undefined || !body.slice(operator.length).split(",").every((spec) => VARSPEC.test(spec))) return undefined;
    parts.push(expression);
    i = close + 1;
  }
  return parts;
}

export function compileUriTemplate(template: string): (uri: string) => boolean {
  const parts = parseUriTemplate(template);
  if (parts === undefined) throw new Error(`invalid URI template ${JSON.stringify(template)} (the options schema should have refused it)`);
  return (uri) => {
    let reach: Uint8Array = new Uint8Array(uri.length + 1);
    reach[0] = 1;
    for (const part of parts) {
      reach = typeof part === "string" ? stepLiteral(uri, reach, part) : stepExpression(uri, reach, part);
      if (!reach.includes(1)) return false;
    }
    return reach[uri.length] === 1;
  };
}

function stepLiteral(uri: string, reach: Uint8Array, literal: string): Uint8Array {
  const next = new Uint8Array(reach.length);
  for (let i = 0; i + literal.length <= uri.length; i++) {
    if (reach[i] === 1 && uri.startsWith(literal, i)) next[i + literal.length] = 1;
  }
  return next;
}

/** `{var}`/`{+var}` need at least one character (as in the MCP SDK); prefixed forms may be absent. */
function stepExpression(uri: string, reach: Uint8Array, e: Expression): Uint8Array {
  const next = new Uint8Array(reach.length);
  const inside = new Uint8Array(reach.length);
  for (let i = 0; i <= uri.length; i++) {
    const c = uri[i];
    if (reach[i] === 1) {
      if (e.prefix === undefined) {
        if (c !== undefined && e.allows(c)) inside[i + 1] = 1;
      } else {
        next[i] = 1;
        if (c === e.prefix) inside[i + 1] = 1;
      }
    }
    if (inside[i] === 1) {
      next[i] = 1;
      if (c !== undefined && (e.allows(c) || (e.repeat && c === e.prefix))) inside[i + 1] = 1;
    }
  }
  return next;
}
