// A new resource kind is its own files plus one registration line: a test kind ("note",
// in tests/fixtures/fake-kind/) is registered, produced by a backend, and then planned,
// applied, shown in status, written by compile --out and destroyed like any built-in kind.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compileProject, destroyInstance, openProject, planApply, statusOf, applyProject, type Interaction } from "../../src/apply/index.js";
import { registerBackend } from "../../src/compile/backends/index.js";
import { processBackend } from "../../src/compile/backends/process.js";
import { KINDS } from "../../src/kinds/index.js";
import { asResource } from "../../src/kinds/spec.js";
import { renderPlanText } from "../../src/plan/render/text.js";
import type { NoteAttrs } from "../fixtures/fake-kind/kind.js";
import { noteKind } from "../fixtures/fake-kind/index.js";
import { makeRepo, newHome, tmpdir } from "../helpers/sbx.js";

KINDS.register(noteKind); // the one registration line

// A backend that also produces the new kind (here: the process backend plus a note).
registerBackend({
  name: "process",
  build(config, ctx, ports) {
    const built = processBackend.build(config, ctx, ports);
    const text = `slot ${ctx.slot}: ${Object.entries(ports).map(([k, v]) => `${k}=${v}`).join(" ")}\n`;
    return { ...built, resources: [...built.resources, asResource<NoteAttrs>({ address: "note.ports", type: "note", attrs: { file: "PORTS.txt", text }, dependsOn: ["slot.this"] })] };
  },
});

const quiet: Interaction = { show: () => undefined, approve: async () => true };

test("a kind added by its own files and one registration line is planned, applied, shown, compiled and destroyed", async () => {
  const repo = makeRepo({ "infra.toml": '[project]\nname = "notes"\n\n[sandbox]\nbackend = "process"\n\n[sandbox.ports]\nP = { base = 31000, stride = 7 }\n' });
  const home = newHome();
  const logs: string[] = [];
  const opts = { cwd: repo, env: process.env, home, sets: [], command: "test", log: (l: string) => logs.push(l) };
  const { project, diags } = openProject(opts);
  assert.equal(diags, []);

  const planned = await planApply(project!);
  assert.ok("plan" in planned);
  const change = planned.plan.resource_changes.find((c) => c.address === "note.ports")!;
  assert.is(change.action, "create");
  assert.equal(change.render, { text: "text" }, "render hints come from the kind's declaration");
  assert.match(renderPlanText(planned.plan), '+ resource note "ports" {');

  const applied = await applyProject(project!, { ...quiet, parallelism: 4, lockTimeoutMs: 0 });
  assert.equal(applied.diags, []);
  const slot = applied.plan!.slot.number;
  assert.is(fs.readFileSync(path.join(repo, "PORTS.txt"), "utf8"), `slot ${slot}: P=${31000 + 7 * slot}\n`);

  const again = await planApply(project!);
  assert.ok("plan" in again);
  assert.is(again.plan.resource_changes.find((c) => c.address === "note.ports")!.action, "no-op");

  const { report } = await statusOf(project!);
  assert.equal(report!.resources.find((r) => r.address === "note.ports"), { address: "note.ports", type: "note", state: "ok", detail: "note PORTS.txt" });

  const out = tmpdir();
  const compiled = await compileProject(repo, [], process.env);
  assert.ok(compiled.artefacts.some((a) => a.path === "notes/PORTS.txt"), `artefacts: ${compiled.artefacts.map((a) => a.path).join(", ")}`);
  fs.rmSync(out, { recursive: true, force: true });

  const gone = await destroyInstance(project!, { ...quiet, parallelism: 4, lockTimeoutMs: 0 });
  assert.equal(gone.diags, []);
  assert.not.ok(fs.existsSync(path.join(repo, "PORTS.txt")), "destroy removed the note");
});

test.run();
