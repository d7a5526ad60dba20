// Shell completion as a user loads it: `source <(sbx completion bash)` in a real bash, then
// what TAB offers at each point, driven through the function bash itself calls.

import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { newHome, sbx, tmpdir } from "../helpers/sbx.js";

const home = newHome();
const cwd = tmpdir("sbx-complete-");

async function script(shell: string): Promise<string> {
  const r = await sbx(["completion", shell], { cwd, home });
  assert.is(r.code, 0, r.stderr);
  const file = path.join(cwd, `sbx.${shell}`);
  fs.writeFileSync(file, r.stdout);
  return file;
}

/** What bash offers for the words typed so far (the last one is being completed). */
function bashOffers(file: string, words: string[]): string[] {
  const quoted = words.map((w) => `'${w}'`).join(" ");
  const out = execFileSync("bash", ["--norc", "-c", `source '${file}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _sbx; printf '%s\\n' "\${COMPREPLY[@]}"`], { cwd, encoding: "utf8" });
  return out.split("\n").filter(Boolean);
}

test("bash: the script registers with complete, and TAB offers commands, subcommands, flags and flag values", async () => {
  const file = await script("bash");
  const registered = execFileSync("bash", ["--norc", "-c", `source '${file}'; complete -p sbx`], { encoding: "utf8" });
  assert.is(registered.trim(), "complete -o default -F _sbx sbx");

  assert.equal(bashOffers(file, ["sbx", "pl"]), ["plan"]);
  assert.equal(
    bashOffers(file, ["sbx", "worktree", ""]).filter((w) => !w.startsWith("-")),
    ["add", "list", "done"],
  );
  assert.equal(bashOffers(file, ["sbx", "worktree", "a"]), ["add"]);
  assert.equal(bashOffers(file, ["sbx", "plan", "--con"]), ["--concise"]);
  assert.equal(bashOffers(file, ["sbx", "env", "--format", ""]), ["shell", "dotenv", "json"]);
  // Global flags and their values before the command do not hide it.
  assert.equal(bashOffers(file, ["sbx", "-C", "../x", "--set", "a=b", "app"]), ["apply"]);
  assert.equal(bashOffers(file, ["sbx", "profiles", "show", "--j"]), ["--json"]);
  assert.ok(bashOffers(file, ["sbx", "destroy", "--"]).includes("--force"));
  assert.ok(!bashOffers(file, ["sbx", "plan", "--"]).includes("--force"), "destroy's flag is not offered for plan");
  // A flag that takes a free value offers nothing to pick from.
  assert.equal(bashOffers(file, ["sbx", "plan", "--target", ""]), []);
  // A saved plan is a file argument: apply offers the files here.
  fs.writeFileSync(path.join(cwd, "tfplan"), "{}");
  assert.ok(bashOffers(file, ["sbx", "apply", "tfp"]).includes("tfplan"));
  fs.mkdirSync(path.join(cwd, "other-worktree"), { recursive: true });
  assert.equal(bashOffers(file, ["sbx", "-C", "oth"]), ["other-worktree"], "-C completes directories");
});

test("bash: every command in --help completes (the script is made from the command tree)", async () => {
  const file = await script("bash");
  const help = await sbx(["--help"], { cwd, home });
  const section = help.stdout.split("\nCommands:\n")[1]!.split("\n\n")[0]!;
  const commands = [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((c) => c !== "help");
  assert.ok(commands.length > 20, help.stdout);
  const offered = bashOffers(file, ["sbx", ""]);
  for (const c of commands) assert.ok(offered.includes(c), `${c} is offered`);
});

test("every command's --help, subcommands included, ends with examples", async () => {
  const commandsIn = (help: string) => {
    const section = help.split("\nCommands:\n")[1]?.split("\n\n")[0] ?? "";
    return [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((c) => c !== "help");
  };
  const top = await sbx(["--help"], { cwd, home });
  assert.match(top.stdout, "Examples:\n  sbx plan");
  const queue = commandsIn(top.stdout).map((c) => [c]);
  assert.ok(queue.length > 20);
  let checked = 0;
  while (queue.length) {
    const cmd = queue.shift()!;
    const r = await sbx([...cmd, "--help"], { cwd, home });
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /\nExamples:\n {2}\S/, `sbx ${cmd.join(" ")} --help has examples`);
    for (const sub of commandsIn(r.stdout)) queue.push([...cmd, sub]);
    checked++;
  }
  assert.ok(checked > 30, `${checked} commands checked`);
});

test("zsh and fish: the scripts parse in the real shells, and fish completes from them", async () => {
  for (const shell of ["zsh", "fish"]) {
    const file = await script(shell);
    const has = spawnSync("sh", ["-c", `command -v ${shell}`]).status === 0;
    if (!has) {
      console.warn(`\n!!! ${shell} is not installed: its completion script was not parsed !!!`);
      continue;
    }
    const check = spawnSync(shell, ["-n", file], { encoding: "utf8" });
    assert.is(check.status, 0, `${shell} -n: ${check.stderr}`);
    if (shell === "fish") {
      const offers = execFileSync("fish", ["--no-config", "-c", `source '${file}'; complete -C 'sbx worktree a'; complete -C 'sbx env --format '`], { encoding: "utf8" });
      assert.match(offers, /^add\t/m);
      assert.match(offers, /^dotenv(\t|$)/m);
    }
  }
});

test("an unknown shell is a usage error that names the shells", async () => {
  const r = await sbx(["completion", "tcsh"], { cwd, home });
  assert.is(r.code, 1);
  assert.match(r.stderr, "No completion for the shell `tcsh'");
  assert.match(r.stderr, "bash, zsh and fish");
});

test.run();
