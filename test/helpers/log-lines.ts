// One key per log line, always (issue 19): JSON.parse keeps the last of two equal keys without a word,
// and log pipelines differ on which one they keep (some keep both), so a field written twice (a logger
// binding and an event field of the same name) silently changes what dashboards count. Every gateway
// the tests start hands its lines to checkLogLine (test/helpers/gateway.ts, test/oauth/helpers.ts,
// test/helpers/cli.ts for spawned CLIs); test/preload.ts fails the running test when one was found.

/** Keys that occur more than once in one JSON object of `text`, at any depth, as `path.key`. */
export function duplicateKeys(text: string): string[] {
  // Frames of the containers being read: an object's keys so far, or null for an array.
  const stack: { keys: Set<string> | null; path: string; expectKey: boolean; lastKey: string }[] = [];
  const found: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const top = stack.at(-1);
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      const value = JSON.parse(text.slice(i, end + 1)) as string;
      if (top?.keys && top.expectKey) {
        if (top.keys.has(value)) found.push(`${top.path}${value}`);
        top.keys.add(value);
        top.lastKey = value;
        top.expectKey = false;
      }
      i = end + 1;
      continue;
    }
    if (c === "{" || c === "[") {
      const path = top === undefined ? "" : top.keys ? `${top.path}${top.lastKey}.` : `${top.path}[].`;
      stack.push({ keys: c === "{" ? new Set() : null, path, expectKey: c === "{", lastKey: "" });
    } else if (c === "}" || c === "]") stack.pop();
    else if (c === "," && top?.keys) top.expectKey = true;
    i++;
  }
  return found;
}

/** What a line is wrong about, or undefined when it is one well-formed JSON object with unique keys. */
export function logLineProblem(line: string): string | undefined {
  const text = line.trimEnd();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return "not JSON";
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return "not a JSON object";
  const dups = duplicateKeys(text);
  return dups.length > 0 ? `duplicate key(s) ${dups.join(", ")}` : undefined;
}

const problems: string[] = [];
let checked = 0;

/** Checks one line a gateway under test wrote; `source` names the gateway for the failure message. */
export function checkLogLine(line: string, source: string): void {
  checked++;
  const problem = logLineProblem(line);
  if (problem !== undefined) problems.push(`${source}: ${problem} in ${line.trimEnd()}`);
}

/** How many lines have been checked in this test process. */
export function checkedLogLines(): number {
  return checked;
}

/** The problems found since the last call (and forgets them). */
export function takeLogLineProblems(): string[] {
  return problems.splice(0);
}
