// Relative links between Markdown pages and the anchors GitHub gives their headings. Pure, over texts.

/** Fenced code is not Markdown: a `# comment` in a shell block is not a heading, `](x)` in code no link. */
function withoutCode(text: string): string {
  return text.replace(/```[\s\S]*?```/g, "");
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2, … */
export function headingAnchors(page: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of withoutCode(page).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Links to other files of the repository (no scheme): `[x](proxy.md#limits)` → `proxy.md#limits`. */
export function relativeLinks(page: string): string[] {
  return [...withoutCode(page).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((link) => !/^[a-z][a-z0-9+.-]*:/i.test(link));
}
