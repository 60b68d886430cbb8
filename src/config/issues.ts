import type * as v from "valibot";
import { pointerOf, type ConfigProblem } from "./problems.ts";
import type { SourceDocument } from "./jsonc.ts";

export type Path = (string | number)[];

/** Builds problems for one file, filling in line:column from the source document. */
export class ProblemSink {
  readonly problems: ConfigProblem[] = [];
  /** Pointers of values whose env reference was left in place (unset, or not allowed there): that is reported, not what follows. */
  private unresolved: ReadonlySet<string> = new Set();
  /** Pointer → the env variables its value came from, so a schema problem names the variable and value. */
  private origins: ReadonlyMap<string, string> = new Map();
  constructor(
    readonly file: string,
    private readonly doc?: SourceDocument,
  ) {}

  /** Record what env substitution did to this file (see SubstitutionResult). */
  noteSubstitution(unresolved: ReadonlySet<string>, origins: ReadonlyMap<string, string>): void {
    this.unresolved = unresolved;
    this.origins = origins;
  }

  /** Whether the value at `path`, or one inside it, held an unset env reference. */
  holdsUnresolved(path: Path): boolean {
    const at = pointerOf(path);
    for (const p of this.unresolved) if (p === at || p.startsWith(at + "/")) return true;
    return false;
  }

  add(code: string, path: Path, message: string, hint: string, severity: "error" | "warning" = "error"): void {
    this.problems.push({ code, severity, file: this.file, pointer: pointerOf(path), ...this.doc?.locate(path), message, hint });
  }

  /** Turn valibot issues into problems under `base` (the JSON path of the value that was parsed). */
  addSchemaIssues(code: string, base: Path, issues: readonly v.BaseIssue<unknown>[], hint: string): void {
    for (const issue of issues) {
      const rel = (issue.path ?? []).map((p) => p.key as string | number);
      const path = [...base, ...rel];
      // The unset variable is the root cause, already reported; its literal `${env.X}` failing a URL check is not news.
      if (this.holdsUnresolved(path)) continue;
      const origin = this.origins.get(pointerOf(path));
      const message = describeIssue(issue, rel);
      this.add(code, path, origin ? `${message.replace(/\.$/, "")}; ${origin}.` : message, hint);
    }
  }
}

function describeIssue(issue: v.BaseIssue<unknown>, rel: Path): string {
  const at = rel.length > 0 ? `"${rel.join(".")}"` : "the value";
  if (issue.kind === "schema" && issue.type === "strict_object" && issue.input !== undefined && rel.length > 0) {
    return `Unknown option ${at}: it is not one of this entry's options.`;
  }
  if (issue.input === undefined && issue.kind === "schema") return `Missing required ${at} (${issue.expected ?? "a value"}).`;
  return `Invalid ${at}: ${issue.message}.`;
}
