// `npm test` after the build: the static checks (typecheck, import-boundary lint, generated
// types fresh), then every uvu test file under tests/ (TypeScript via tsx). Ends with the
// line `N passed, N failed, N skipped` that CI counts. With a Docker engine but no test
// image, it first builds sbx-busybox:test itself (as .ci/run does).
import { spawn, spawnSync } from "node:child_process";
import { ensureBusyboxImage, IMAGE } from "./busybox-image.mjs";

const checks = [
  ["typecheck", ["node_modules/typescript/bin/tsc", "--noEmit", "-p", "."]],
  ["lint", ["node_modules/eslint/bin/eslint.js", "src", "tests"]],
  ["gen-types --check", ["scripts/gen-types.mjs", "--check"]],
];
let checkPassed = 0;
let checkFailed = 0;
const only = process.argv.slice(2);
if (!only.length)
  for (const [name, args] of checks) {
    const r = spawnSync(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
    if (r.status === 0) {
      checkPassed++;
      console.log(`✓ ${name}`);
    } else {
      checkFailed++;
      console.log(`✗ ${name}\n${r.stdout}${r.stderr}`);
    }
  }

const image = ensureBusyboxImage();
if (image.status === "built") console.log(`Built ${IMAGE} with docker import (busybox).`);
else if (image.status === "no-busybox" || image.status === "failed") console.warn(`\n!!! Could not build ${IMAGE}: ${image.detail}. Docker tests will skip. !!!\n`);

// NO_COLOR alone: FORCE_COLOR next to it would contradict it.
const env = { ...process.env, NO_COLOR: "1" };
delete env.FORCE_COLOR;
const pattern = only.length ? `(${only.join("|")}).*\\.test\\.ts$` : ".*\\.test\\.ts$";
const args = ["--import", "tsx", "node_modules/uvu/bin.js", "tests", pattern, "-i", "helpers", "-i", "fixtures"];
const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"], env });
let text = "";
child.stdout.on("data", (c) => {
  process.stdout.write(c);
  text += c.toString();
});
child.on("exit", (code) => {
  const num = (label) => Number((new RegExp(`${label}:\\s+(\\d+)`).exec(text) ?? [])[1] ?? 0);
  const total = num("Total");
  const passed = num("Passed") + checkPassed;
  const skipped = num("Skipped");
  // uvu's Total counts the tests that ran; skipped ones are counted apart.
  let failed = total - num("Passed") + checkFailed;
  if (code !== 0 && failed === 0) failed = 1; // crashed before the summary
  console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(code === 0 && failed === 0 ? 0 : 1);
});
