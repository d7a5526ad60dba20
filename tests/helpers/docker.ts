// Whether the Docker engine and the test image (sbx-busybox:test) are here.

import { execFileSync } from "node:child_process";

export function dockerAvailable(): boolean {
  try {
    execFileSync("docker", ["image", "inspect", "sbx-busybox:test"], { stdio: "ignore", timeout: 20_000 });
    return true;
  } catch {
    return false; // no engine, or no image: callers skip loudly or fail under SBX_REQUIRE_DOCKER
  }
}
