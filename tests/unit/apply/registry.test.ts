// The host-wide slot registry (src/apply/registry.ts) on real files and real ports:
// busy ports skip a slot, a claim is held and released, a corrupt registry refuses
// writes, expiry and status are recorded, and concurrent processes get distinct slots.

import * as fs from "node:fs";
import * as net from "node:net";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { hostPaths } from "../../../src/apply/host.js";
import { localTarget } from "../../../src/apply/target/local.js";
import { allRegistries, claimSlot, NoSlotError, predictSlot, readRegistry, RegistryError, releaseSlot, setClaimStatus, setExpiry, type ClaimRequest } from "../../../src/apply/registry.js";
import type { PortSpec } from "../../../src/compile/ports.js";
import { runTs, srcModule } from "../../helpers/child.js";
import { newHome } from "../../helpers/sbx.js";

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen({ port, host: "127.0.0.1", exclusive: true }, () => resolve(s));
  });
}
const close = (s: net.Server) => new Promise<void>((r) => s.close(() => r()));

/** A base port whose next `n` ports are all free right now (stride 1: slot s uses base + s). */
async function freeBase(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const held: net.Server[] = [];
    try {
      for (let i = 1; i <= n; i++) held.push(await listen(base + i));
      return base;
    } catch {
      continue; // one of them is taken: try elsewhere
    } finally {
      await Promise.all(held.map(close));
    }
  }
  throw new Error("no free port range found");
}

/** Who is asking (recorded with the registry lock; warnings go nowhere in tests). */
const WHO = { command: "test", log: () => undefined };

const request = (home: string, instance: string, base: number, range = { min: 1, max: 5 }): ClaimRequest => ({
  home,
  instance,
  project: "demo",
  worktree: `/wt/${instance}`,
  specs: [{ name: "API", base, stride: 1, standard: base }] satisfies PortSpec[],
  range,
  who: WHO,
});

test("claim skips a slot whose port is busy, and records the claim", async () => {
  const home = newHome();
  const base = await freeBase(5);
  const busy = await listen(base + 1);
  try {
    const r = await claimSlot(request(home, "demo-a", base));
    assert.is(r.claim.slot, 2);
    assert.is(r.fresh, true);
    assert.equal(r.skipped, [`Slot 1 skipped: port API=${base + 1} in use`]);
    assert.equal(r.claim.ports, { API: base + 2 });
    assert.is(r.claim.status, "provisioning");
    assert.is(r.claim.expires_at, null);
    assert.equal(readRegistry(home).registry.slots["2"], r.claim);
  } finally {
    await close(busy);
  }
});

test("a second claim by the same instance returns the held claim; another instance gets the next slot", async () => {
  const home = newHome();
  const base = await freeBase(5);
  const first = await claimSlot(request(home, "demo-a", base));
  const again = await claimSlot(request(home, "demo-a", base));
  assert.equal(again, { claim: first.claim, fresh: false, skipped: [] });
  const other = await claimSlot(request(home, "demo-b", base));
  assert.is(other.claim.slot, first.claim.slot + 1);
  assert.equal(Object.keys(readRegistry(home).registry.slots).sort(), [String(first.claim.slot), String(other.claim.slot)]);
});

test("a held claim whose port layout changed is updated in place", async () => {
  const home = newHome();
  const base = await freeBase(5);
  const first = await claimSlot(request(home, "demo-a", base));
  const moved = await claimSlot({ ...request(home, "demo-a", base), specs: [{ name: "API", base: base + 1, stride: 1, standard: base }] });
  assert.is(moved.claim.slot, first.claim.slot);
  assert.equal(readRegistry(home).registry.slots[String(first.claim.slot)]!.ports, { API: base + 1 + first.claim.slot });
});

test("release frees the slot for the next claim; releasing nothing returns undefined", async () => {
  const home = newHome();
  const base = await freeBase(5);
  const a = await claimSlot(request(home, "demo-a", base));
  const released = await releaseSlot(home, "demo-a", WHO);
  assert.equal(released, a.claim);
  assert.equal(readRegistry(home).registry.slots, {});
  assert.is(await releaseSlot(home, "demo-a", WHO), undefined);
  const b = await claimSlot(request(home, "demo-b", base));
  assert.is(b.claim.slot, a.claim.slot);
});

test("no slot left: NoSlotError names the range", async () => {
  const home = newHome();
  const base = await freeBase(2);
  await claimSlot(request(home, "demo-a", base, { min: 1, max: 1 }));
  try {
    await claimSlot(request(home, "demo-b", base, { min: 1, max: 1 }));
    assert.unreachable("claimed a slot that is taken");
  } catch (e) {
    assert.instance(e, NoSlotError);
    assert.is((e as Error).message, "No slots available (1-1 all claimed or have port conflicts)");
  }
});

test("setExpiry records and clears the expiry of this instance's claim only", async () => {
  const home = newHome();
  const base = await freeBase(5);
  const a = await claimSlot(request(home, "demo-a", base));
  assert.is(await setExpiry(home, "demo-a", "2030-01-01T00:00:00.000Z", WHO), "2030-01-01T00:00:00.000Z");
  assert.is(readRegistry(home).registry.slots[String(a.claim.slot)]!.expires_at, "2030-01-01T00:00:00.000Z");
  assert.is(await setExpiry(home, "demo-a", null, WHO), null);
  assert.is(readRegistry(home).registry.slots[String(a.claim.slot)]!.expires_at, null);
  assert.is(await setExpiry(home, "demo-zzz", "2030-01-01T00:00:00.000Z", WHO), null, "no claim: nothing recorded");
  assert.equal(Object.keys(readRegistry(home).registry.slots), [String(a.claim.slot)]);
});

test("setClaimStatus marks a claim running", async () => {
  const home = newHome();
  const base = await freeBase(5);
  const a = await claimSlot(request(home, "demo-a", base));
  await setClaimStatus(home, "demo-a", "running", WHO);
  assert.is(readRegistry(home).registry.slots[String(a.claim.slot)]!.status, "running");
});

test("predictSlot names the held slot or the first free one, and writes nothing", async () => {
  const home = newHome();
  const base = await freeBase(5);
  const busy = await listen(base + 1);
  try {
    const { who: _w, ...req } = request(home, "demo-a", base);
    assert.is(await predictSlot(req), 2);
    assert.not.ok(fs.existsSync(hostPaths.registry(home)), "a prediction claims nothing");
    await claimSlot(request(home, "demo-a", base, { min: 3, max: 5 }));
    assert.is(await predictSlot(req), 3, "the held slot wins");
  } finally {
    await close(busy);
  }
});

for (const [name, text] of [
  ["not JSON", "{ torn"],
  ["JSON without slots", '{"version": 1}'],
] as const)
  test(`a corrupt registry (${name}) refuses to claim or release, and is left as it is; reading it warns`, async () => {
    const home = newHome();
    const file = hostPaths.registry(home);
    fs.writeFileSync(file, text);
    const read = readRegistry(home);
    assert.is(read.corrupt, true);
    assert.equal(read.registry.slots, {});
    assert.is(read.warning, `${file} is not a valid slot registry. Restore it, or move it away to start over (sbx then sees no claims).`);
    for (const op of [() => claimSlot(request(home, "demo-a", 40_000)), () => releaseSlot(home, "demo-a", WHO), () => setExpiry(home, "demo-a", null, WHO)]) {
      try {
        await op();
        assert.unreachable("wrote over a corrupt registry");
      } catch (e) {
        assert.instance(e, RegistryError);
        assert.is((e as Error).message, read.warning);
      }
    }
    assert.is(fs.readFileSync(file, "utf8"), text);
  });

test("a missing registry reads as empty, without a warning", () => {
  assert.equal(readRegistry(newHome()), { registry: { version: 1, slots: {} } });
});

test("concurrent claims from separate processes get distinct slots", async () => {
  const home = newHome();
  const base = await freeBase(12);
  const n = 4;
  const children = Array.from({ length: n }, (_, i) =>
    runTs(`import { claimSlot } from ${srcModule("apply/registry.ts")};
const r = await claimSlot(${JSON.stringify(request(home, `demo-${i}`, base, { min: 1, max: 12 }))});
process.stdout.write(String(r.claim.slot));`),
  );
  const results = await Promise.all(children.map((c) => c.done));
  for (const r of results) assert.is(r.code, 0, r.stderr);
  const slots = results.map((r) => Number(r.stdout));
  assert.is(new Set(slots).size, n, `slots: ${slots.join(", ")}`);
  const recorded = readRegistry(home).registry.slots;
  assert.equal(
    Object.keys(recorded)
      .map(Number)
      .sort((a, b) => a - b),
    [...slots].sort((a, b) => a - b),
  );
  assert.equal(
    Object.values(recorded)
      .map((c) => c.instance)
      .sort(),
    Array.from({ length: n }, (_, i) => `demo-${i}`).sort(),
  );
});

test("a remote host's claims live in its own registry, and its ports are checked on that host's target", async () => {
  const home = newHome();
  const specs: PortSpec[] = [{ name: "WEB_PORT", base: 30_000, stride: 1, standard: 30_000 }];
  const asked: number[] = [];
  // Stands in for the remote host: slot 1's port is busy there (and only there).
  const remote = { ...localTarget, name: "ssh://dev@far", isPortFree: async (port: number) => (asked.push(port), port !== 30_001) };
  const req = { home, instance: "far-1", project: "far", worktree: "/w", specs, range: { min: 1, max: 3 }, who: WHO, host: "dev@far_22", target: remote, placement: "ssh://dev@far" };
  assert.is(await predictSlot(req), 2);
  const r = await claimSlot(req);
  assert.is(r.claim.slot, 2);
  assert.equal(r.skipped, ["Slot 1 skipped: port WEB_PORT=30001 in use"]);
  assert.is(r.claim.placement, "ssh://dev@far");
  assert.ok(asked.includes(30_001), "the remote target was asked");
  assert.equal(readRegistry(home).registry.slots, {}, "this machine's registry holds nothing");
  assert.is(readRegistry(home, "dev@far_22").registry.slots["2"]!.instance, "far-1");
  assert.ok(fs.existsSync(hostPaths.hostRegistry(home, "dev@far_22")));
  // The same slot on this machine is free: registries do not share claims.
  assert.is((await claimSlot({ ...req, host: undefined, target: undefined, placement: undefined, instance: "here-1", range: { min: 2, max: 2 }, specs: [{ name: "P", base: await freeBase(3), stride: 1, standard: 1 }] })).claim.slot, 2);
  assert.equal(allRegistries(home).map((x) => [x.host ?? "local", Object.keys(x.registry.slots)]), [["local", ["2"]], ["dev@far_22", ["2"]]]);
  await setExpiry(home, "far-1", "2030-01-01T00:00:00.000Z", WHO, "dev@far_22");
  assert.is(readRegistry(home, "dev@far_22").registry.slots["2"]!.expires_at, "2030-01-01T00:00:00.000Z");
  assert.is((await releaseSlot(home, "far-1", WHO, "dev@far_22"))?.slot, 2);
  assert.equal(readRegistry(home, "dev@far_22").registry.slots, {});
});

test.run();
