// Saved plans (src/plan/planfile.ts): a real plan is accepted and matches
// schemas/plan.schema.json; everything else is refused with a "plan-file" diagnostic; and
// each condition that makes a saved plan stale is named.
//
// fixtures/planfile/quickstart.plan.json is `sbx -C examples/quickstart plan --json` with a
// private SBX_HOME, its paths replaced by <home> and <root>.

import * as fs from "node:fs";
import * as path from "node:path";
import { Ajv } from "ajv";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { PLAN_FORMAT_VERSION, type Plan } from "../../../src/plan/model.js";
import { parsePlanFile, serializePlan, staleReason } from "../../../src/plan/planfile.js";
import { validatePlan } from "../../../src/compile/generated/validators.js";
import { ROOT } from "../../helpers/sbx.js";

const FILE = "plan.out";
const realText = fs.readFileSync(path.join(ROOT, "fixtures", "planfile", "quickstart.plan.json"), "utf8");
const real = (): Plan => JSON.parse(realText) as Plan;
const schema = JSON.parse(fs.readFileSync(path.join(ROOT, "schemas", "plan.schema.json"), "utf8")) as object;
const validateWithSchemaFile = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);

test("a real plan from `sbx plan --json` is accepted as it is", () => {
  const { plan, diags } = parsePlanFile(realText, FILE);
  assert.equal(diags, []);
  assert.equal(plan, real());
  assert.is(plan!.format_version, PLAN_FORMAT_VERSION);
  assert.ok(plan!.resource_changes.length >= 5, "the quickstart plan has its resources");
});

test("the real plan matches schemas/plan.schema.json (checked with Ajv on the schema file itself)", () => {
  assert.ok(validateWithSchemaFile(real()), JSON.stringify(validateWithSchemaFile.errors));
});

test("a saved plan serializes back to the same text (stable key order)", () => {
  assert.is(serializePlan(parsePlanFile(realText, FILE).plan!), realText);
});

test("a newer minor format is read", () => {
  const [major] = PLAN_FORMAT_VERSION.split(".");
  const { plan, diags } = parsePlanFile(JSON.stringify({ ...real(), format_version: `${major}.99` }), FILE);
  assert.equal(diags, []);
  assert.ok(plan);
});

const mutate = (f: (p: Record<string, unknown> & Plan) => void): string => {
  const p = real() as Record<string, unknown> & Plan;
  f(p);
  return JSON.stringify(p);
};
const major = Number(PLAN_FORMAT_VERSION.split(".")[0]);

const rejects: { name: string; text: string; summary: string; detail: RegExp }[] = [
  { name: "not JSON", text: "Plan: 1 to add", summary: `${FILE} is not a plan file`, detail: /^It is not JSON\. Create one with: sbx plan -out plan\.out$/ },
  { name: "empty file", text: "", summary: `${FILE} is not a plan file`, detail: /It is not JSON/ },
  { name: "a JSON file torn mid-write", text: realText.slice(0, realText.length / 2), summary: `${FILE} is not a plan file`, detail: /It is not JSON/ },
  {
    name: "an older major format",
    text: mutate((p) => (p.format_version = `${major - 1}.0`)),
    summary: `${FILE} has plan format ${major - 1}.0`,
    detail: new RegExp(`^This sbx reads plan format ${PLAN_FORMAT_VERSION.replace(".", "\\.")}\\. Make the plan again with this sbx: sbx plan -out plan\\.out$`),
  },
  { name: "a newer major format", text: mutate((p) => (p.format_version = `${major + 1}.0`)), summary: `${FILE} has plan format ${major + 1}.0`, detail: /Make the plan again/ },
  {
    name: "JSON that is not an object",
    text: "[1, 2]",
    summary: `${FILE} is not an sbx plan file`,
    detail: /^It does not match the plan schema \(\/ must be object\)\. Create one with: sbx plan -out plan\.out$/,
  },
  { name: "JSON null", text: "null", summary: `${FILE} is not an sbx plan file`, detail: /must be object/ },
  {
    name: "a required field missing",
    text: mutate((p) => delete (p as Partial<Plan>).resource_changes),
    summary: `${FILE} is not an sbx plan file`,
    detail: /\(\/ must have required property 'resource_changes'\)/,
  },
  {
    name: "an unknown action",
    text: mutate((p) => (p.resource_changes[0]!.action = "upgrade" as Plan["resource_changes"][0]["action"])),
    summary: `${FILE} is not an sbx plan file`,
    detail: /\(\/resource_changes\/0\/action must be equal to one of the allowed values\)/,
  },
  { name: "an unknown top-level field", text: mutate((p) => (p.extra = 1)), summary: `${FILE} is not an sbx plan file`, detail: /must NOT have additional properties/ },
  {
    name: "a format_version that is not a string",
    text: mutate((p) => ((p as Record<string, unknown>).format_version = 2)),
    summary: `${FILE} is not an sbx plan file`,
    detail: /\/format_version must be string/,
  },
  { name: "a negative slot number", text: mutate((p) => (p.slot.number = -1)), summary: `${FILE} is not an sbx plan file`, detail: /\/slot\/number must be >= 0/ },
  {
    name: "a render hint that does not exist",
    text: mutate((p) => ((p.resource_changes[0]!.render as Record<string, string>).content = "html")),
    summary: `${FILE} is not an sbx plan file`,
    detail: /\/resource_changes\/0\/render\/content must be equal to one of the allowed values/,
  },
];

for (const r of rejects)
  test(`rejected with a "plan-file" diagnostic: ${r.name}`, () => {
    const { plan, diags } = parsePlanFile(r.text, FILE);
    assert.is(plan, undefined);
    assert.is(diags.length, 1);
    assert.is(diags[0]!.severity, "error");
    assert.is(diags[0]!.code, "plan-file");
    assert.is(diags[0]!.summary, r.summary);
    assert.match(diags[0]!.detail ?? "", r.detail);
  });

test("the generated validator and schemas/plan.schema.json agree on every case", () => {
  for (const r of rejects) {
    let raw: unknown;
    try {
      raw = JSON.parse(r.text);
    } catch {
      continue; // not JSON: no schema involved
    }
    assert.is(validatePlan(raw), validateWithSchemaFile(raw), r.name);
  }
  assert.ok(validatePlan(real()));
});

// ---- staleness ----

const staleCases: { name: string; change: (p: Plan) => void; reason: string | undefined }[] = [
  { name: "nothing changed", change: () => undefined, reason: undefined },
  {
    name: "display-only fields changed (reasons, diagnostics, sbx version, urls)",
    change: (p) => {
      p.resource_changes[0]!.reasons = ["something else"];
      p.diagnostics = [{ severity: "warning", summary: "new warning" }];
      p.sbx_version = "9.9.9";
      p.outputs.urls = [];
    },
    reason: undefined,
  },

  { name: "another sandbox", change: (p) => (p.instance.id = "other-1234"), reason: "it was made for another sandbox" },
  { name: "the state moved on", change: (p) => (p.prior_state = { lineage: "l", serial: 1 }), reason: "the state was changed by another operation after the plan was created" },
  { name: "the configuration changed", change: (p) => (p.config_hash = "ffffffffffffffff"), reason: "the configuration files changed after the plan was created" },
  { name: "a secret rotated", change: (p) => (p.secret_fingerprints = { API_TOKEN: "hmac-sha256:different" }), reason: "a secret's value changed after the plan was created" },
  { name: "the slot is gone", change: (p) => (p.slot = { number: 7, status: "to-claim" }), reason: `slot ${real().slot.number} is no longer available` },
  { name: "what is running changed (an action differs)", change: (p) => (p.resource_changes[0]!.action = "no-op"), reason: "what is running changed after the plan was created" },
  {
    name: "what is running changed (a resource more)",
    change: (p) => p.resource_changes.push({ ...p.resource_changes[0]!, address: "file.extra" }),
    reason: "what is running changed after the plan was created",
  },
];

for (const c of staleCases)
  test(`staleReason: ${c.name}`, () => {
    const fresh = real();
    c.change(fresh);
    assert.is(staleReason(real(), fresh), c.reason);
  });

test("staleReason: a saved destroy plan is stale for apply", () => {
  const saved = real();
  saved.mode = "destroy";
  assert.is(staleReason(saved, real()), "it is a destroy plan");
});

test("staleReason: a change to a no-op resource is not staleness", () => {
  const saved = real();
  saved.resource_changes.push({ ...saved.resource_changes[0]!, address: "file.same", action: "no-op" });
  assert.is(staleReason(saved, real()), undefined);
});

test.run();
