// A strict reader of the Prometheus text exposition format 0.0.4
// (prometheus.io/docs/instrumenting/exposition_formats/#text-based-format), for tests that scrape
// /metrics. prom-client ships no parser, so this one checks what a scraper relies on and throws on
// anything else: every sample belongs to a family declared by # TYPE before it, each family is declared
// once, names and label names are valid, label values are properly escaped, no series appears twice,
// and each histogram's buckets are cumulative with the +Inf bucket equal to _count.

export type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: MetricType;
  help: string | undefined;
  readonly samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES: readonly MetricType[] = ["counter", "gauge", "histogram", "summary", "untyped"];

export class ExpositionError extends Error {
  constructor(lineNumber: number, message: string) {
    super(`line ${lineNumber}: ${message}`);
  }
}

function unescape(text: string, lineNumber: number, allowQuote: boolean): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = text[++i];
    if (next === "\\") out += "\\";
    else if (next === "n") out += "\n";
    else if (next === '"' && allowQuote) out += '"';
    else throw new ExpositionError(lineNumber, `invalid escape \\${next ?? ""}`);
  }
  return out;
}

function parseValue(text: string, lineNumber: number): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new ExpositionError(lineNumber, `invalid sample value "${text}"`);
  return Number(text);
}

/** `{a="x",b="y"}` starting at `text[0]`; returns the labels and the index after the closing brace. */
function parseLabels(text: string, lineNumber: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    if (text[i] === "}") return { labels, end: i + 1 };
    const eq = text.indexOf("=", i);
    if (eq === -1) throw new ExpositionError(lineNumber, "label without =");
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new ExpositionError(lineNumber, `invalid label name "${name}"`);
    if (name in labels) throw new ExpositionError(lineNumber, `label "${name}" given twice`);
    if (text[eq + 1] !== '"') throw new ExpositionError(lineNumber, `label "${name}" value is not quoted`);
    let j = eq + 2;
    let raw = "";
    while (j < text.length && text[j] !== '"') {
      if (text[j] === "\\") raw += text[j++];
      raw += text[j++];
    }
    if (j >= text.length) throw new ExpositionError(lineNumber, `unterminated value of label "${name}"`);
    labels[name] = unescape(raw, lineNumber, true);
    i = j + 1;
    if (text[i] === ",") i++;
    else if (text[i] !== "}") throw new ExpositionError(lineNumber, `expected , or } after label "${name}"`);
  }
}

/** The family a sample name belongs to: histogram and summary samples carry a suffix. */
function familyOf(name: string, families: ReadonlyMap<string, Family>): Family | undefined {
  const exact = families.get(name);
  if (exact) return exact;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!name.endsWith(suffix)) continue;
    const family = families.get(name.slice(0, -suffix.length));
    if (family && (family.type === "histogram" || (family.type === "summary" && suffix !== "_bucket"))) return family;
  }
  return undefined;
}

const seriesKey = (name: string, labels: Readonly<Record<string, string>>) => `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;

export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const typed = new Set<string>();
  const lines = text.split("\n");
  if (lines.at(-1) !== "") throw new ExpositionError(lines.length, "the exposition must end with a line feed");
  lines.forEach((line, index) => {
    const n = index + 1;
    if (line === "") return;
    if (line.startsWith("#")) {
      const m = line.match(/^# (HELP|TYPE) (\S+)(?: (.*))?$/);
      if (!m) return; // another comment
      const [, keyword, name, rest = ""] = m;
      if (!METRIC_NAME.test(name!)) throw new ExpositionError(n, `invalid metric name "${name}"`);
      if (keyword === "TYPE") {
        if (typed.has(name!)) throw new ExpositionError(n, `family ${name} declared twice`);
        if (!TYPES.includes(rest as MetricType)) throw new ExpositionError(n, `unknown type "${rest}"`);
        typed.add(name!);
        families.set(name!, { name: name!, type: rest as MetricType, help: families.get(name!)?.help, samples: [] });
      } else {
        // HELP may come before TYPE (prom-client writes it first), but only once.
        const family = families.get(name!);
        if (family?.help !== undefined) throw new ExpositionError(n, `family ${name} has two HELP lines`);
        const help = unescape(rest, n, false);
        if (family) family.help = help;
        else families.set(name!, { name: name!, type: "untyped", help, samples: [] });
      }
      return;
    }
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd <= 0) throw new ExpositionError(n, "a sample needs a name and a value");
    const name = line.slice(0, nameEnd);
    if (!METRIC_NAME.test(name)) throw new ExpositionError(n, `invalid metric name "${name}"`);
    let rest = line.slice(nameEnd);
    let labels: Record<string, string> = {};
    if (rest.startsWith("{")) {
      const parsed = parseLabels(rest, n);
      labels = parsed.labels;
      rest = rest.slice(parsed.end);
    }
    const parts = rest.split(" ");
    if (parts[0] !== "" || parts.length < 2 || parts.length > 3) throw new ExpositionError(n, "expected one space, a value and an optional timestamp");
    const value = parseValue(parts[1]!, n);
    if (parts[2] !== undefined && !/^-?\d+$/.test(parts[2])) throw new ExpositionError(n, `invalid timestamp "${parts[2]}"`);
    // A HELP-only entry gets its type from a later TYPE line; one that is still untyped here was never declared.
    const family = familyOf(name, families);
    if (!family || !typed.has(family.name)) throw new ExpositionError(n, `sample ${name} has no # TYPE before it`);
    const key = seriesKey(name, labels);
    if (seen.has(key)) throw new ExpositionError(n, `series ${name}${JSON.stringify(labels)} appears twice`);
    seen.add(key);
    family.samples.push({ name, labels, value });
  });
  for (const family of families.values()) if (family.type === "histogram") checkHistogram(family);
  return families;
}

function checkHistogram(family: Family): void {
  const groups = new Map<string, Sample[]>();
  for (const s of family.samples) {
    if (!s.name.endsWith("_bucket")) continue;
    if (s.labels.le === undefined) throw new Error(`${s.name} without an le label`);
    const { le: _le, ...rest } = s.labels;
    const key = seriesKey(family.name, rest);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const [key, buckets] of groups) {
    const bounds = buckets.map((b) => parseValue(b.labels.le!, 0));
    for (let i = 1; i < buckets.length; i++) {
      if (bounds[i]! <= bounds[i - 1]!) throw new Error(`${key}: bucket bounds are not increasing`);
      if (buckets[i]!.value < buckets[i - 1]!.value) throw new Error(`${key}: buckets are not cumulative`);
    }
    if (bounds.at(-1) !== Infinity) throw new Error(`${key}: no +Inf bucket`);
    const { le: _le, ...labels } = buckets[0]!.labels;
    const count = family.samples.find((s) => s.name === `${family.name}_count` && seriesKey(family.name, s.labels) === key);
    if (!count || count.value !== buckets.at(-1)!.value) throw new Error(`${key}: _count differs from the +Inf bucket (${JSON.stringify(labels)})`);
  }
}

/** The value of the one sample of `name` whose labels are exactly `labels`; 0 when there is none (a counter not yet touched). */
export function sampleValue(families: ReadonlyMap<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const family = familyOf(name, families);
  if (!family) throw new Error(`no family for ${name}`);
  const key = seriesKey(name, labels);
  return family.samples.find((s) => s.name === name && seriesKey(s.name, s.labels) === key)?.value ?? 0;
}

/** Every sample of `name` whose labels include `match`. */
export function samplesMatching(families: ReadonlyMap<string, Family>, name: string, match: Record<string, string> = {}): Sample[] {
  const family = familyOf(name, families);
  if (!family) throw new Error(`no family for ${name}`);
  return family.samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}
