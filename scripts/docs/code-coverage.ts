// Which `MCPGW_…` names a documentation page covers. Pure, over texts, so a test can hand it both the real
// sources and a made-up case. A name is covered when it starts a table row (`| \`MCPGW_X\` |`), not when
// the page merely mentions it.

const NAME = /MCPGW_[A-Z0-9_]*[A-Z0-9]/g;

export function mcpgwNames(text: string): Set<string> {
  return new Set(text.match(NAME) ?? []);
}

/** The names a page gives an entry: the first cell of a table row. */
export function pageEntries(page: string): string[] {
  return [...page.matchAll(/^\| `(MCPGW_[A-Z0-9_]+)`/gm)].map((m) => m[1]!);
}

export interface Coverage {
  /** In the sources, without an entry on the page. */
  readonly missing: readonly string[];
  /** Named on the page, found in no source. */
  readonly unknown: readonly string[];
  /** Given an entry twice. */
  readonly duplicated: readonly string[];
}

/**
 * `required`: the texts whose every name needs an entry (src/). `known`: every text a name may
 * legitimately come from (src/ and scripts/, which has the release script's variables).
 */
export function coverage(required: readonly string[], known: readonly string[], page: string): Coverage {
  const entries = pageEntries(page);
  const entered = new Set(entries);
  const needed = new Set(required.flatMap((t) => [...mcpgwNames(t)]));
  const existing = new Set(known.flatMap((t) => [...mcpgwNames(t)]));
  return {
    missing: [...needed].filter((n) => !entered.has(n)).sort(),
    unknown: [...mcpgwNames(page)].filter((n) => !existing.has(n)).sort(),
    duplicated: entries.filter((n, i) => entries.indexOf(n) !== i).sort(),
  };
}
