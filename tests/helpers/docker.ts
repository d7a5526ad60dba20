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

/** Remove every container, volume and network of compose projects whose name starts with `prefix` (a failed test's leftovers). */
export function removeComposeProjects(prefix: string): void {
  const ls = (args: string[]) => execFileSync("docker", args, { encoding: "utf8", timeout: 60_000 }).split("\n").filter(Boolean);
  const mine = (rows: string[]) => rows.filter((r) => r.split("\t")[1]?.startsWith(prefix)).map((r) => r.split("\t")[0]!);
  const fmt = '{{.ID}}\t{{.Label "com.docker.compose.project"}}';
  const containers = mine(ls(["ps", "-a", "--filter", "label=com.docker.compose.project", "--format", fmt]));
  if (containers.length) execFileSync("docker", ["rm", "-f", ...containers], { stdio: "ignore" });
  const volumes = mine(ls(["volume", "ls", "--filter", "label=com.docker.compose.project", "--format", '{{.Name}}\t{{.Label "com.docker.compose.project"}}']));
  if (volumes.length) execFileSync("docker", ["volume", "rm", "-f", ...volumes], { stdio: "ignore" });
  const networks = mine(ls(["network", "ls", "--filter", "label=com.docker.compose.project", "--format", fmt]));
  if (networks.length) execFileSync("docker", ["network", "rm", ...networks], { stdio: "ignore" });
}
