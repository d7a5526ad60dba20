// Every target behaves the same: the local one, and ssh:// through a real sshd on
// 127.0.0.1 with a generated key (the "remote" host is this machine, reached over ssh).

import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { localTarget } from "../../src/apply/target/local.js";
import { sshTarget } from "../../src/apply/target/ssh.js";
import type { Target } from "../../src/apply/target/types.js";
import { freePortBase } from "../helpers/ports.js";
import { tmpdir } from "../helpers/sbx.js";
import { sshdAvailable, startSshd, type Sshd } from "../helpers/sshd.js";

const why = sshdAvailable();
if (why && process.env.SBX_REQUIRE_SSHD === "1") throw new Error(`SBX_REQUIRE_SSHD=1 but ${why}`);
if (why) console.warn(`\n!!! SKIPPING ssh target tests: ${why} !!!\n`);

let sshd: Sshd | undefined;

async function targets(): Promise<[string, Target][]> {
  const out: [string, Target][] = [["local", localTarget]];
  if (!why) {
    sshd ??= await startSshd();
    out.push(["ssh", sshTarget({ user: sshd.user, host: "127.0.0.1", port: sshd.port }, { sshCommand: sshd.sshCommand, controlDir: path.join(tmpdir("sbx-ctl-"), "c") })]);
  }
  return out;
}

test("files: write, read, stat, realpath, mkdir, remove; a directory where a file goes is refused", async () => {
  for (const [name, t] of await targets()) {
    const dir = tmpdir();
    const f = path.join(dir, "a b", "c.txt");
    assert.is(await t.readFile(f), undefined, `${name}: missing reads as undefined`);
    assert.is(await t.stat(f), undefined);
    await t.writeFile(f, "hello\n", 0o640);
    assert.is((await t.readFile(f))!.toString(), "hello\n", name);
    assert.equal(await t.stat(f), { kind: "file", mode: 0o640, size: 6 }, name);
    assert.is(await t.realpath(f), f);
    await t.writeFile(f, Buffer.from([0, 255, 10]), 0o600);
    assert.equal([...(await t.readFile(f))!], [0, 255, 10], `${name}: binary safe`);
    const log = path.join(dir, "new dir", "ledger.log");
    await t.appendFile(log, "one\n");
    await t.appendFile(log, "two\n");
    assert.is((await t.readFile(log))!.toString(), "one\ntwo\n", `${name}: appends keep what was there`);
    assert.is((await t.stat(log))!.mode, 0o600, `${name}: a new ledger is private`);
    await t.mkdir(path.join(dir, "d", "e"), 0o700);
    assert.is((await t.stat(path.join(dir, "d", "e")))!.kind, "dir");
    try {
      await t.writeFile(path.join(dir, "d"), "x");
      assert.unreachable(`${name}: writing over a directory`);
    } catch (e) {
      assert.match((e as Error).message, "is a directory", name);
    }
    await t.remove(f);
    assert.is(await t.stat(f), undefined);
    await t.remove(path.join(dir, "d"), { recursive: true });
    assert.not.ok(fs.existsSync(path.join(dir, "d")));
  }
});

test("commands: exit codes, cwd, stdin, and extra env that never appears on a command line", async () => {
  for (const [name, t] of await targets()) {
    const dir = tmpdir();
    const ok = await t.run(["sh", "-c", 'printf "%s|%s|" "$PWD" "$SBX_TEST_SECRET"; cat'], { cwd: dir, env: { ...process.env, SBX_TEST_SECRET: "canary-9f1 with 'quotes' and $dollars" }, input: "from stdin" });
    assert.is(ok.exitCode, 0, `${name}: ${ok.stderr}`);
    assert.is(ok.stdout, `${dir}|canary-9f1 with 'quotes' and $dollars|from stdin`, name);
    const bad = await t.run(["sh", "-c", "echo oops >&2; exit 7"]);
    assert.is(bad.exitCode, 7, name);
    assert.match(bad.stderr, "oops");
    const lines: string[] = [];
    for await (const l of t.lines(["sh", "-c", "echo one; echo two"])) lines.push(l);
    assert.equal(lines, ["one", "two"], name);
  }
});

test("runBytes: binary stdin and stdout survive the trip (a tar stream in and out), with cwd", async () => {
  for (const [name, t] of await targets()) {
    const dir = tmpdir();
    const bytes = Buffer.from([...Array(256).keys()]);
    const wrote = await t.runBytes(["sh", "-c", "cat > blob && cat blob"], { cwd: dir, input: bytes });
    assert.is(wrote.exitCode, 0, `${name}: ${wrote.stderr}`);
    assert.equal([...wrote.stdout], [...bytes], `${name}: stdout is the exact bytes`);
    assert.equal([...fs.readFileSync(path.join(dir, "blob"))], [...bytes], `${name}: stdin arrived exactly`);
    const tar = await t.runBytes(["tar", "-c", "-f", "-", "blob"], { cwd: dir });
    const out = tmpdir();
    const x = await t.runBytes(["tar", "-x", "-f", "-"], { cwd: out, input: tar.stdout });
    assert.is(x.exitCode, 0, `${name}: ${x.stderr}`);
    assert.equal([...fs.readFileSync(path.join(out, "blob"))], [...bytes], name);
    assert.is((await t.runBytes(["sh", "-c", "exit 4"])).exitCode, 4, name);
  }
});

test("ports and probes: a listening port is busy and answers tcp and http probes; a closed one fails them", async () => {
  const port = await freePortBase(2);
  const server = http.createServer((_q, res) => res.end('{"items":[1,2]}')).listen(port, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  try {
    for (const [name, t] of await targets()) {
      assert.is(await t.isPortFree(port), false, name);
      assert.is(await t.isPortFree(port + 1), true, name);
      assert.equal(await t.probe({ type: "tcp", port }, 3000), { ok: true }, name);
      assert.equal(await t.probe({ type: "http", port, path: "/", json_min_length: 2 }, 3000), { ok: true }, name);
      assert.is((await t.probe({ type: "http", port, path: "/", json_min_length: 3 }, 3000)).ok, false, name);
      assert.is((await t.probe({ type: "tcp", port: port + 1 }, 3000)).ok, false, name);
      assert.is((await t.probe({ type: "http", port: port + 1, path: "/" }, 3000)).ok, false, name);
      assert.equal(await t.probe({ type: "exec", command: "true" }, 3000), { ok: true }, name);
    }
  } finally {
    server.close();
  }
});

test("an unreachable ssh host is a clear error, not a hang", async () => {
  if (why) return;
  const port = await freePortBase(1);
  const t = sshTarget({ host: "127.0.0.1", port }, { sshCommand: `${sshd!.sshCommand} -o ConnectTimeout=3` });
  try {
    await t.readFile("/etc/hostname");
    assert.unreachable("no sshd listens there");
  } catch (e) {
    assert.match((e as Error).message, `Cannot reach ssh://127.0.0.1:${port}`);
  }
});

test.after(async () => {
  await sshd?.stop();
});

test.run();
