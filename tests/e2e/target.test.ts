// --target on plan, apply and destroy: the named resource and what it needs, as Terraform does.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { makeRepo, newHome, sbx } from "../helpers/sbx.js";

const files = {
  "infra.toml": '[project]\nname = "tgt"\n\n[sandbox]\nbackend = "process"\n\n[sandbox.files]\n"a.txt" = "src-a.txt"\n"b.txt" = "src-b.txt"\n',
  "src-a.txt": "a\n",
  "src-b.txt": "b\n",
};

test("--target limits plan, apply and destroy to a resource and what it depends on", async () => {
  const repo = makeRepo(files);
  const home = newHome();
  const plan = await sbx(["plan", "--concise", "--target", 'copy["a.txt"]'], { cwd: repo, home });
  assert.is(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, '+ copy["a.txt"]');
  assert.match(plan.stdout, "+ slot.this");
  assert.not.match(plan.stdout, 'copy["b.txt"]');
  assert.match(plan.stderr, "warning: Resource targeting is in effect");

  const apply = await sbx(["apply", "--auto-approve", "--target", 'copy["a.txt"]'], { cwd: repo, home });
  assert.is(apply.code, 0, apply.stderr);
  assert.ok(fs.existsSync(path.join(repo, "a.txt")));
  assert.not.ok(fs.existsSync(path.join(repo, "b.txt")));

  const rest = await sbx(["plan", "--concise"], { cwd: repo, home });
  assert.match(rest.stdout, '+ copy["b.txt"]');
  assert.match(rest.stdout, "+ file.env_sandbox");
  assert.not.match(rest.stdout, 'copy["a.txt"]');

  const unknown = await sbx(["plan", "--target", "copy.nope"], { cwd: repo, home });
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, "No resource `copy.nope' in this plan");

  const all = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
  assert.is(all.code, 0, all.stderr);
  const one = await sbx(["destroy", "--auto-approve", "--target", 'copy["b.txt"]'], { cwd: repo, home });
  assert.is(one.code, 0, one.stderr);
  assert.not.ok(fs.existsSync(path.join(repo, "b.txt")), "the target went");
  assert.ok(fs.existsSync(path.join(repo, "a.txt")), "the rest stayed");
  const down = await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
  assert.is(down.code, 0, down.stderr);
  assert.not.ok(fs.existsSync(path.join(repo, "a.txt")));
});

test.run();
