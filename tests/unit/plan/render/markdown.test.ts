// The Markdown (PR comment) plan renderer, against golden files: every case in
// fixtures/render/<case>/plan.json renders to expected.md; and the fallback to the summary
// alone when the full comment would pass GitHub's 65,536-character limit.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { summarise, type Plan, type ResourceChange } from "../../../../src/plan/model.js";
import { GITHUB_COMMENT_LIMIT, renderPlanMarkdown } from "../../../../src/plan/render/markdown.js";
import { renderChange } from "../../../../src/plan/render/text.js";
import { assertGolden, loadPlanFixture } from "../../../helpers/golden.js";
import { ROOT } from "../../../helpers/sbx.js";

const dir = path.join(ROOT, "fixtures", "render");

for (const name of fs.readdirSync(dir).sort())
  test(`markdown renderer: ${name} matches expected.md`, () => {
    const plan = loadPlanFixture(path.join(dir, name, "plan.json"));
    assertGolden(path.join(dir, name, "expected.md"), renderPlanMarkdown(plan));
  });

test("markdown renderer: inside the diff fence every line starts with a diff symbol or a space", () => {
  for (const name of fs.readdirSync(dir)) {
    const md = renderPlanMarkdown(loadPlanFixture(path.join(dir, name, "plan.json")));
    const fence = /```diff\n([\s\S]*?)```/.exec(md)?.[1] ?? "";
    for (const l of fence.split("\n").filter((x) => x !== "")) assert.match(l, /^[-+! ]/, `${name}: ${JSON.stringify(l)}`);
  }
});

test("markdown renderer: the diff keeps every column of the text renderer; only the symbol moves to column 0", () => {
  // Blank out the symbol: at its column in the text, at column 0 in Markdown (`-/+` stays: it starts in column 0).
  const fromText = (l: string) => l.replace(/^( *)([+~-]|-\/\+)(?= |$)/, (_m, sp: string, sym: string) => sp + " ".repeat(sym.length));
  const fromMarkdown = (l: string) => l.replace(/^[+!-]/, " ");
  for (const name of fs.readdirSync(dir)) {
    const plan = loadPlanFixture(path.join(dir, name, "plan.json"));
    const fence = /```diff\n([\s\S]*?)```/.exec(renderPlanMarkdown(plan))?.[1];
    if (fence === undefined) continue;
    const text = plan.resource_changes.filter((c) => c.action !== "no-op").flatMap((c) => [...renderChange(c), ""]);
    assert.equal(fence.split("\n").slice(0, -1).map(fromMarkdown), text.map(fromText), name);
  }
});

function bigPlan(n: number): Plan {
  const resource_changes: ResourceChange[] = Array.from({ length: n }, (_, i) => ({
    address: `process.svc_${String(i).padStart(5, "0")}`,
    type: "process",
    action: "create",
    reasons: [],
    before: null,
    after: { name: `svc_${i}`, command: ["node", "server.mjs"], env: { PORT: String(20000 + i), APP_ENV: "sandbox" } },
    sensitive: [],
    replace_paths: [],
    render: {},
    depends_on: [],
  }));
  const base = loadPlanFixture(path.join(dir, "diagnostics-errors", "plan.json"));
  return { ...base, resource_changes, summary: summarise(resource_changes) };
}

test("markdown renderer: a plan with thousands of resources falls back to the summary, under the limit", () => {
  const md = renderPlanMarkdown(bigPlan(3000));
  assert.ok(md.length <= GITHUB_COMMENT_LIMIT, `${md.length} characters`);
  assert.match(md, /_The full plan is \d+ characters, over GitHub's limit of 65536; run `sbx plan` locally to see it._\n$/);
  assert.not.match(md, "<details>");
  assert.match(md, "**Plan: 3000 to add, 0 to change, 0 to replace, 0 to destroy.**");
  assert.match(md, "- :x: Port API_PORT=18030 is in use by another program: pid 777 (python3) listens on 127.0.0.1:18030.\n", "errors stay in the fallback");
});

test("markdown renderer: the same plan under a larger limit keeps the full diff", () => {
  const md = renderPlanMarkdown(bigPlan(3000), { limit: 10_000_000 });
  assert.match(md, "<details><summary>Show plan</summary>");
  assert.match(md, '+   resource process "svc_02999" {');
});

test("markdown renderer: a comment exactly at the limit is kept whole, one character over falls back", () => {
  const plan = bigPlan(3);
  const full = renderPlanMarkdown(plan, { limit: Infinity });
  assert.is(renderPlanMarkdown(plan, { limit: full.length }), full);
  assert.is.not(renderPlanMarkdown(plan, { limit: full.length - 1 }), full);
});

test("markdown renderer: when even the list of addresses passes the limit, the fallback gives counts", () => {
  // 20,000 addresses of ~25 characters make the address list alone ~500,000 characters.
  const md = renderPlanMarkdown(bigPlan(20_000));
  assert.ok(md.length <= GITHUB_COMMENT_LIMIT, `${md.length} characters`);
  assert.match(md, "- :x: Port API_PORT=18030 is in use by another program");
  assert.match(md, "- **Create**: 20000\n");
  assert.not.match(md, "`process.svc_00000`");
  assert.match(md, /_The full plan is \d+ characters, over GitHub's limit of 65536; run `sbx plan` locally to see it._\n$/);
});

test.run();
