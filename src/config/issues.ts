import type * as v from "valibot";
import { pointerOf, type ConfigProblem } from "./problems.ts";
import type { SourceDocument } from "./jsonc.ts";

export type Path = (string | number)[];

/** Builds problems for one file, filling in line:column from the source document. */
export class ProblemSink {
  readonly problems: ConfigProblem[] = [];
  constructor(
    readonly file: string,
    private readonly doc?: SourceDocument,
  ) {}

  add(code: string, path: Path, message: string, hint: string, severity: "error" | "warning" = "error"): void {
    this.problems.push({ code, severity, file: this.file, pointer: pointerOf(path), ...this.doc?.locate(path), message, hint });
  }

  /** Turn valibot issues into problems under `base` (the JSON path of the value that was parsed). */
  addSchemaIssues(code: string, base: Path, issues: readonly v.BaseIssue<unknown>[], hint: string): void {
    for (const issue of issues) {
      const rel = (issue.path ?? []).map((p) => p.key as string | number);
      const path = [...base, ...rel];
      this.add(code, path, describeIssue(issue, rel), hint);
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
