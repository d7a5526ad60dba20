// Lint: the import boundaries between pipeline stages, no `any`, no silent catch.
import tseslint from "typescript-eslint";

const sideEffects = ["fs", "node:fs", "fs/promises", "node:fs/promises", "child_process", "node:child_process", "net", "node:net", "http", "node:http", "execa", "write-file-atomic", "proper-lockfile"];
const pureBan = (extra) => ({
  paths: sideEffects.map((name) => ({ name, message: "This layer is pure: side effects belong in src/apply or a driver." })),
  patterns: [
    { group: ["**/apply/**", "**/cli/**"], message: "Imports run cli → apply → plan → compile; this layer may not import apply or cli." },
    { group: ["**/kinds/*/driver.js", "**/kinds/driver.js", "**/kinds/index.js", "**/kinds/owned-file.js"], message: "Pure layers see kind declarations (kind.ts, spec.ts), never drivers." },
    ...extra,
  ],
});

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "src/compile/generated/**", "bench/**", "**/*.mjs", "eslint.config.js"] },
  {
    files: ["src/**/*.ts", "tests/**/*.ts"],
    languageOptions: { parser: tseslint.parser },
    plugins: { "@typescript-eslint": tseslint.plugin },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "no-empty": ["error", { allowEmptyCatch: false }],
      "no-restricted-syntax": [
        "error",
        { selector: "CallExpression[callee.property.name='catch'] > ArrowFunctionExpression[body.type='BlockStatement'][body.body.length=0]", message: "A silent .catch loses errors: handle or report it." },
        { selector: "CatchClause[body.body.length=0]", message: "A silent catch loses errors: handle, report, or say why in a statement." },
      ],
    },
  },
  {
    files: ["src/compile/**/*.ts"],
    rules: { "no-restricted-imports": ["error", pureBan([{ group: ["**/plan/**"], message: "compile may not import plan." }])] },
  },
  {
    files: ["src/plan/**/*.ts", "src/kinds/spec.ts", "src/kinds/*/kind.ts"],
    rules: { "no-restricted-imports": ["error", pureBan([])] },
  },
  {
    files: ["src/plan/render/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        pureBan([{ group: ["**/compile/**", "**/kinds/**", "!**/compile/diagnostics.js", "!**/kinds/spec.js"], message: "Renderers read only the plan (and the diagnostic and render-hint types)." }]),
      ],
    },
  },
  {
    files: ["src/apply/**/*.ts", "src/kinds/*/driver.ts", "src/kinds/driver.ts", "src/kinds/index.ts", "src/kinds/owned-file.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [{ group: ["**/cli/**"], message: "apply may not import cli." }] }] },
  },
  {
    files: ["src/cli/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: ["execa", "child_process", "node:child_process"].map((name) => ({ name, message: "The CLI parses and prints; running things is the apply layer's job." })),
          patterns: [
            { group: ["**/apply/**", "!**/apply/index.js", "!**/apply/output.js"], message: "The CLI uses the apply layer through src/apply/index.ts (and apply/output.ts, the redactor, at start-up) only." },
            { group: ["**/kinds/**"], message: "The CLI never touches a kind or driver directly." },
          ],
        },
      ],
    },
  },
);
