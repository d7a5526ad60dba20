// Builds the tiny image the Docker tests use, sbx-busybox:test, from the host's static
// busybox with `docker import` (no registry needed). Does nothing when the image exists;
// says why it cannot when there is no Docker engine or no busybox binary.
// Run directly (`node scripts/busybox-image.mjs`) or through ensureBusyboxImage().
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const IMAGE = "sbx-busybox:test";
const APPLETS = ["sh", "httpd", "wget", "nc", "sleep", "cat", "echo", "env", "ls"];

function ok(cmd, args) {
  try {
    execFileSync(cmd, args, { stdio: "ignore", timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

function findBusybox() {
  for (const p of ["/bin/busybox", "/usr/bin/busybox", "/usr/local/bin/busybox"]) if (fs.existsSync(p)) return p;
  return undefined;
}

/** { status: "present" | "built" | "no-docker" | "no-busybox" | "failed", detail? } */
export function ensureBusyboxImage() {
  if (!ok("docker", ["info"])) return { status: "no-docker" };
  if (ok("docker", ["image", "inspect", IMAGE])) return { status: "present" };
  const busybox = findBusybox();
  if (!busybox) return { status: "no-busybox", detail: "install busybox-static (apt-get install busybox-static)" };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sbx-busybox-"));
  try {
    fs.mkdirSync(path.join(dir, "bin"));
    fs.mkdirSync(path.join(dir, "www"));
    fs.copyFileSync(busybox, path.join(dir, "bin", "busybox"));
    fs.chmodSync(path.join(dir, "bin", "busybox"), 0o755);
    for (const a of APPLETS) fs.symlinkSync("busybox", path.join(dir, "bin", a));
    fs.writeFileSync(path.join(dir, "www", "index.html"), "ok\n");
    const tar = execFileSync("tar", ["-C", dir, "-c", "."], { maxBuffer: 64 * 1024 * 1024 });
    execFileSync("docker", ["import", "-", IMAGE], { input: tar, stdio: ["pipe", "ignore", "pipe"], timeout: 120_000 });
    return { status: "built" };
  } catch (e) {
    return { status: "failed", detail: String(e?.stderr ?? e?.message ?? e).trim() };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = ensureBusyboxImage();
  console.log(`${IMAGE}: ${r.status}${r.detail ? ` (${r.detail})` : ""}`);
  process.exit(r.status === "present" || r.status === "built" ? 0 : 1);
}
