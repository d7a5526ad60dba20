// Runs every uvu test file under tests/ (TypeScript via tsx) and ends with the line
// `N passed, N failed, N skipped` that CI counts. With a Docker engine but no test
// image, it first builds sbx-busybox:test itself (as .ci/run does).
import { spawn } from "node:child_process";
import { ensureBusyboxImage, IMAGE } from "./busybox-image.mjs";

const image = ensureBusyboxImage();
if (image.status === "built") console.log(`Built ${IMAGE} with docker import (busybox).`);
else if (image.status === "no-busybox" || image.status === "failed") console.warn(`\n!!! Could not build ${IMAGE}: ${image.detail}. Docker tests will skip. !!!\n`);

const args = ["--import", "tsx", "node_modules/uvu/bin.js", "tests", ".*\\.test\\.ts$", "-i", "helpers"];
// NO_COLOR alone: FORCE_COLOR next to it would contradict it.
const env = { ...process.env, NO_COLOR: "1" };
delete env.FORCE_COLOR;
const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"], env });
let text = "";
child.stdout.on("data", (c) => {
  process.stdout.write(c);
  text += c.toString();
});
child.on("exit", (code) => {
  const num = (label) => Number((new RegExp(`${label}:\\s+(\\d+)`).exec(text) ?? [])[1] ?? 0);
  const total = num("Total");
  const passed = num("Passed");
  const skipped = num("Skipped");
  // uvu's Total counts the tests that ran; skipped ones are counted apart.
  let failed = total - passed;
  if (code !== 0 && failed === 0) failed = 1; // crashed before the summary
  console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(code === 0 && failed === 0 ? 0 : 1);
});
