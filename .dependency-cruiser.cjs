// Layer rules for src/ (docs/architecture.md). Data flows one way: files → config → app → request →
// policy chain → handler → upstream; a module imports only from its own folder or a lower layer.
// Run with `npm run lint:arch` (CI runs it). Folders of one rank are peers and may not import each other.
const LAYERS = [
  ["http", "log", "store", "demo", "limits"],
  ["mcp"],
  ["schemas"],
  ["config"],
  ["observe"],
  ["oauth"],
  ["upstream"],
  ["services"],
  ["request"],
  ["policies", "handlers"],
  ["gateway"],
  ["cli"],
];

const rank = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i])));
const folders = [...rank.keys()];

const layerRules = folders.map((folder) => {
  const forbidden = folders.filter((other) => other !== folder && rank.get(other) >= rank.get(folder));
  return {
    name: `layer-${folder}`,
    comment: `src/${folder}/ may import only lower layers (${LAYERS.slice(0, rank.get(folder)).flat().join(", ") || "none"}); see docs/architecture.md`,
    severity: "error",
    from: { path: `^src/${folder}/` },
    to: { path: `^src/(${forbidden.join("|")})/` },
  };
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: "no-circular",
      comment: "no import cycles between modules",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "known-folders-only",
      comment: "every src/ folder has a place in the layer list (.dependency-cruiser.cjs, docs/architecture.md)",
      severity: "error",
      from: { path: `^src/(?!(${folders.join("|")})/)[^/]+/` },
      to: {},
    },
    {
      name: "known-folders-only-imported",
      comment: "a folder missing from the layer list cannot be imported either (.dependency-cruiser.cjs, docs/architecture.md)",
      severity: "error",
      from: { path: "^src/" },
      to: { path: `^src/(?!(${folders.join("|")})/)[^/]+/` },
    },
    {
      name: "sqlite-inside-store",
      comment: "nothing outside src/store/ sees bun:sqlite or SQL",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/store/" },
      to: { path: "^bun:sqlite$" },
    },
    {
      name: "validate-loads-no-runtime",
      comment: "mcpgw validate checks a project without loading the proxy, the policies or the OAuth server",
      severity: "error",
      from: { path: "^src/cli/validate\\.ts$" },
      to: { path: "^src/(gateway|policies|handlers|oauth|services|request|observe)/|^src/mcp/forward\\.ts$", reachable: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "node_modules" },
    tsPreCompilationDeps: true,
    // TypeScript 7 has no JS compiler API yet; swc reads the sources.
    parser: "swc",
    tsConfig: { fileName: "tsconfig.json" },
    // Bun built-ins (bun:sqlite) resolve to nothing on disk: keep them as their own names.
    builtInModules: { add: ["bun:sqlite", "bun"] },
  },
};
