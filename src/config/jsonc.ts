import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from "jsonc-parser";
import { pointerOf, type ConfigProblem } from "./problems.ts";

/** A parsed JSONC document that can say where any JSON pointer sits in its text. */
export interface SourceDocument {
  readonly file: string;
  readonly value: unknown;
  locate(segments: readonly (string | number)[]): { line: number; column: number } | undefined;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Parse JSON with comments and trailing commas (zuplo.jsonc, and the .json files, which Zuplo also reads
 * leniently). A syntax error comes back as one problem with line:column; the value is then undefined.
 */
export function parseJsonc(file: string, text: string): { doc?: SourceDocument; problems: ConfigProblem[] } {
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
  if (errors.length > 0 || !tree) {
    // Only the first: the parser's recovery after it (a truncated file gives one "expected }" per open
    // brace, a missing comma several more) reports consequences, not further mistakes.
    const first = errors[0];
    return {
      problems: [
        {
          code: "MCPGW_CONFIG_JSON_SYNTAX",
          severity: "error",
          file,
          pointer: "",
          ...lineColumn(text, first?.offset ?? 0),
          message: `JSON syntax error: ${tree && first ? describeSyntaxError(first, text) : "the file is empty"}.`,
          hint: "Fix the syntax at that line and column (comments and trailing commas are allowed).",
        },
      ],
    };
  }
  const duplicates: { path: (string | number)[]; offset: number }[] = [];
  const value = nodeValue(tree, [], duplicates);
  return {
    problems: duplicates.map((d) => ({
      code: "MCPGW_CONFIG_DUPLICATE_KEY",
      severity: "error",
      file,
      pointer: pointerOf(d.path),
      ...lineColumn(text, d.offset),
      message: `The key "${String(d.path.at(-1))}" appears more than once in the same object; only the last one would be used.`,
      hint: "Merge the two entries into one or rename one of them.",
    })),
    doc: {
      file,
      value,
      locate(segments) {
        // Walk up to the nearest existing ancestor so a missing key still points at its parent object.
        for (let n = segments.length; n >= 0; n--) {
          const node = findNodeAtLocation(tree, segments.slice(0, n) as (string | number)[]);
          if (node) {
            const anchor = node.parent?.type === "property" && n > 0 ? node.parent : node;
            return lineColumn(text, anchor.offset);
          }
        }
        return undefined;
      },
    },
  };
}

function describeSyntaxError(error: ParseError, text: string): string {
  const code = printParseErrorCode(error.error);
  const plain: Record<string, string> = {
    CommaExpected: "a comma is missing before this value",
    CloseBraceExpected: "a closing } is missing",
    CloseBracketExpected: "a closing ] is missing",
    ColonExpected: "a colon is missing after the key",
    PropertyNameExpected: "a quoted property name is expected",
    ValueExpected: "a value is expected",
    UnexpectedEndOfString: "a string is not closed",
  };
  const atEnd = text.slice(error.offset + error.length).trim() === "";
  return `${plain[code] ?? code}${atEnd ? " (the file ends here: is it cut short?)" : ""} [${code}]`;
}

// jsonc-parser's getNodeValue keeps the last duplicate key silently; a duplicated key in routes.oas.json
// (two "/mcp/x" entries) would drop a route without a word, so we build the value ourselves and report it.
function nodeValue(node: Node, path: (string | number)[], duplicates: { path: (string | number)[]; offset: number }[]): unknown {
  switch (node.type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const prop of node.children ?? []) {
        const [key, val] = prop.children ?? [];
        if (!key || !val) continue;
        const name = String(key.value);
        if (Object.hasOwn(out, name)) duplicates.push({ path: [...path, name], offset: key.offset });
        out[name] = nodeValue(val, [...path, name], duplicates);
      }
      return out;
    }
    case "array":
      return (node.children ?? []).map((child, i) => nodeValue(child, [...path, i], duplicates));
    default:
      return node.value;
  }
}
