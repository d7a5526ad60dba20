// The human (Terraform-style) plan renderer, against golden files: every case in
// fixtures/render/<case>/plan.json renders to expected.txt. UPDATE_GOLDEN=1 rewrites them.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { PLAN_FORMAT_VERSION } from "../../../../src/plan/model.js";
import { renderChange, renderPlanText, summaryLine, type Style } from "../../../../src/plan/render/text.js";
import { assertGolden, loadPlanFixture } from "../../../helpers/golden.js";
import { ROOT } from "../../../helpers/sbx.js";

const dir = path.join(ROOT, "fixtures", "render");
const cases = fs.readdirSync(dir).sort();

for (const name of cases)
  test(`text renderer: ${name} matches expected.txt`, () => {
    const plan = loadPlanFixture(path.join(dir, name, "plan.json"));
    assertGolden(path.join(dir, name, "expected.txt"), renderPlanText(plan));
  });

test("text renderer: every action has a golden case", () => {
  const actions = new Set(cases.flatMap((n) => loadPlanFixture(path.join(dir, n, "plan.json")).resource_changes.map((c) => c.action)));
  assert.equal([...actions].sort(), ["create", "delete", "no-op", "replace", "update"]);
});

test("text renderer: a plan from a newer major format is rendered with a warning first", () => {
  const plan = loadPlanFixture(path.join(dir, "mixed-actions-with-profiles", "plan.json"));
  const major = Number(PLAN_FORMAT_VERSION.split(".")[0]);
  const out = renderPlanText({ ...plan, format_version: `${major + 1}.0` });
  assert.ok(out.startsWith(`Warning: this plan has format ${major + 1}.0; this sbx renders ${PLAN_FORMAT_VERSION}. Output may be incomplete.\n\n`), out.slice(0, 200));
  assert.not.match(renderPlanText({ ...plan, format_version: `${major}.9` }), "Warning:", "a newer minor format is read silently");
});

test("text renderer: colours go only to gutters, symbols and headers", () => {
  const tag = (n: string) => (s: string) => `<${n}>${s}</${n}>`;
  const st: Style = { green: tag("g"), red: tag("r"), yellow: tag("y"), bold: tag("b"), dim: tag("d") };
  const plan = loadPlanFixture(path.join(dir, "mixed-actions-with-profiles", "plan.json"));
  const lines = renderChange(
    plan.resource_changes.find((c) => c.action === "update")!,
    st,
  );
  assert.equal(lines.slice(0, 3), ["<b>  # process.api will be updated in-place</b>", "  # (changed: stop_grace)", '  <y>~</y> resource process "api" {']);
  assert.ok(lines.includes("      <y>~</y> stop_grace = 5 -> 10"), lines.join("\n"));
  assert.match(renderPlanText(plan, st), "<b>Plan: 1 to add, 1 to change, 1 to replace, 1 to destroy.</b>");
});

test("text renderer: the summary line counts from plan.summary, and destroy mode counts only deletes", () => {
  const plan = loadPlanFixture(path.join(dir, "destroy-mode", "plan.json"));
  assert.is(summaryLine(plan), "Plan: 0 to add, 0 to change, 0 to replace, 3 to destroy.");
  assert.is(summaryLine({ ...plan, mode: "apply", summary: { add: 1, change: 2, replace: 3, destroy: 4 } }), "Plan: 1 to add, 2 to change, 3 to replace, 4 to destroy.");
});

test.run();
