// The lint guard rails (eslint.config.js), through ESLint's Node API: each boundary can
// fail. Code is linted as if it lived at the given path; nothing is written.

import * as path from "node:path";
import { ESLint } from "eslint";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ROOT } from "../helpers/sbx.js";

const eslint = new ESLint({ cwd: ROOT });

/** `rule: message` for every problem ESLint reports in `code` placed at `file`. */
async function lint(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return r!.messages.map((m) => `${m.severity === 2 ? "error" : "warning"} ${m.ruleId ?? "(parse)"}: ${m.message}`);
}

const PURE = "This layer is pure: side effects belong in src/apply or a driver.";
const FLOORS = "Imports run cli → apply → plan → compile; this layer may not import apply or cli.";
const DECLARATIONS = "Pure layers see kind declarations (kind.ts, spec.ts), never drivers.";
const restricted = (name: string, message: string) => `error no-restricted-imports: '${name}' import is restricted from being used by a pattern. ${message}`;
const restrictedPath = (name: string, message: string) => `error no-restricted-imports: '${name}' import is restricted from being used. ${message}`;

const cases: { name: string; file: string; code: string; problems: string[] }[] = [
  { name: "node:fs in src/compile is an error", file: "src/compile/x.ts", code: 'import * as fs from "node:fs";\nexport const x = fs;\n', problems: [restrictedPath("node:fs", PURE)] },
  { name: "node:fs in src/plan is an error", file: "src/plan/x.ts", code: 'import * as fs from "node:fs";\nexport const x = fs;\n', problems: [restrictedPath("node:fs", PURE)] },
  {
    name: "node:child_process in a renderer is an error",
    file: "src/plan/render/x.ts",
    code: 'import { spawn } from "node:child_process";\nexport const x = spawn;\n',
    problems: [restrictedPath("node:child_process", PURE)],
  },
  { name: "node:fs in a kind declaration is an error", file: "src/kinds/file/kind.ts", code: 'import * as fs from "node:fs";\nexport const x = fs;\n', problems: [restrictedPath("node:fs", PURE)] },
  { name: "node:path in src/compile is fine (no side effects)", file: "src/compile/x.ts", code: 'import * as path from "node:path";\nexport const x = path.join("a", "b");\n', problems: [] },
  {
    name: "a driver imported from src/compile is an error",
    file: "src/compile/x.ts",
    code: 'import { fileDriver } from "../kinds/file/driver.js";\nexport const x = fileDriver;\n',
    problems: [restricted("../kinds/file/driver.js", DECLARATIONS)],
  },
  { name: "a kind declaration imported from src/compile is fine", file: "src/compile/x.ts", code: 'import { fileSpec } from "../kinds/file/kind.js";\nexport const x = fileSpec;\n', problems: [] },
  {
    name: "src/plan importing src/apply is an error",
    file: "src/plan/x.ts",
    code: 'import { StateStore } from "../apply/state.js";\nexport const x = StateStore;\n',
    problems: [restricted("../apply/state.js", FLOORS)],
  },
  {
    name: "src/compile importing src/plan is an error",
    file: "src/compile/x.ts",
    code: 'import { summarise } from "../plan/model.js";\nexport const x = summarise;\n',
    problems: [restricted("../plan/model.js", "compile may not import plan.")],
  },
  {
    name: "a renderer importing the compiler is an error",
    file: "src/plan/render/x.ts",
    code: 'import { loadConfig } from "../../compile/config.js";\nexport const x = loadConfig;\n',
    problems: [restricted("../../compile/config.js", "Renderers read only the plan (and the diagnostic and render-hint types).")],
  },
  {
    name: "a renderer importing the diagnostic types is fine",
    file: "src/plan/render/x.ts",
    code: 'import type { Diagnostic } from "../../compile/diagnostics.js";\nexport type X = Diagnostic;\n',
    problems: [],
  },
  {
    name: "src/cli importing ../apply/engine.js is an error",
    file: "src/cli/x.ts",
    code: 'import { runEngine } from "../apply/engine.js";\nexport const x = runEngine;\n',
    problems: [restricted("../apply/engine.js", "The CLI uses the apply layer through src/apply/index.ts (and apply/output.ts, the redactor, at start-up) only.")],
  },
  { name: "src/cli importing ../apply/index.js is fine", file: "src/cli/x.ts", code: 'import * as apply from "../apply/index.js";\nexport const x = apply;\n', problems: [] },
  {
    name: "src/cli importing a kind is an error",
    file: "src/cli/commands/x.ts",
    code: 'import { KINDS } from "../../kinds/index.js";\nexport const x = KINDS;\n',
    problems: [restricted("../../kinds/index.js", "The CLI never touches a kind or driver directly.")],
  },
  {
    name: "src/cli running execa is an error",
    file: "src/cli/x.ts",
    code: 'import { execa } from "execa";\nexport const x = execa;\n',
    problems: [restrictedPath("execa", "The CLI parses and prints; running things is the apply layer's job.")],
  },
  { name: "src/apply may touch the world", file: "src/apply/x.ts", code: 'import * as fs from "node:fs";\nexport const x = fs;\n', problems: [] },
  {
    name: "src/apply importing src/cli is an error",
    file: "src/apply/x.ts",
    code: 'import { main } from "../cli/main.js";\nexport const x = main;\n',
    problems: [restricted("../cli/main.js", "apply may not import cli.")],
  },
  {
    name: "an empty catch {} is an error",
    file: "src/apply/x.ts",
    code: "export function f(g: () => void): void {\n  try {\n    g();\n  } catch {}\n}\n",
    problems: ["error no-empty: Empty block statement.", "error no-restricted-syntax: A silent catch loses errors: handle, report, or say why in a statement."],
  },
  {
    name: "a catch holding only a comment is still an error",
    file: "src/compile/x.ts",
    code: "export function f(g: () => void): void {\n  try {\n    g();\n  } catch {\n    // ignore\n  }\n}\n",
    problems: ["error no-restricted-syntax: A silent catch loses errors: handle, report, or say why in a statement."],
  },
  {
    name: "a catch that says why in a statement is fine",
    file: "src/apply/x.ts",
    code: "export function f(g: () => void): boolean {\n  try {\n    g();\n  } catch {\n    return false; // g may fail: the caller retries\n  }\n  return true;\n}\n",
    problems: [],
  },
  {
    name: "a no-op .catch(() => {}) is an error",
    file: "src/apply/x.ts",
    code: "export const f = (p: Promise<void>) => p.catch(() => {});\n",
    problems: ["error no-restricted-syntax: A silent .catch loses errors: handle or report it."],
  },
  {
    name: "an empty catch in a test is an error too",
    file: "tests/unit/x.test.ts",
    code: "try {\n  JSON.parse('');\n} catch {}\n",
    problems: ["error no-empty: Empty block statement.", "error no-restricted-syntax: A silent catch loses errors: handle, report, or say why in a statement."],
  },
  { name: "any is an error", file: "src/plan/x.ts", code: "export const x = (v: any) => v;\n", problems: ["error @typescript-eslint/no-explicit-any: Unexpected any. Specify a different type."] },
];

for (const c of cases)
  test(`lint: ${c.name}`, async () => {
    assert.equal((await lint(c.file, c.code)).sort(), [...c.problems].sort());
  });

test.run();
