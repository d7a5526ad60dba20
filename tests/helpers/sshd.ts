// A real sshd on 127.0.0.1 for tests of remote placement: generated host and user keys,
// an unprivileged-path config, and the ssh command line a client needs to reach it.

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { freePortBase } from "./ports.js";

export interface Sshd {
  port: number;
  user: string;
  /** `ssh …` options that reach this sshd with the generated key and a private known_hosts. */
  sshCommand: string;
  /** ssh://user@127.0.0.1:port */
  url: string;
  stop(): Promise<void>;
}

export function sshdAvailable(): string | undefined {
  if (!fs.existsSync("/usr/sbin/sshd")) return "no /usr/sbin/sshd (Debian openssh-server)";
  try {
    execFileSync("ssh", ["-V"], { stdio: "ignore" });
  } catch {
    return "no ssh client";
  }
  return undefined;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

export async function startSshd(): Promise<Sshd> {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "sbx-sshd-")));
  const user = os.userInfo().username;
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "host_key")]);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "user_key")]);
  fs.copyFileSync(path.join(dir, "user_key.pub"), path.join(dir, "authorized_keys"));
  fs.mkdirSync("/run/sshd", { recursive: true });
  const port = await freePortBase(1);
  fs.writeFileSync(
    path.join(dir, "sshd_config"),
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${path.join(dir, "host_key")}`,
      `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
      `PidFile ${path.join(dir, "sshd.pid")}`,
      "UsePAM no",
      "StrictModes no",
      "PasswordAuthentication no",
      "PermitRootLogin prohibit-password",
      "AcceptEnv LANG",
      "MaxStartups 50",
      "MaxSessions 50",
    ].join("\n") + "\n",
  );
  const child: ChildProcess = spawn("/usr/sbin/sshd", ["-D", "-f", path.join(dir, "sshd_config"), "-E", path.join(dir, "sshd.log")], { stdio: "ignore" });
  const end = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`sshd did not start: ${fs.existsSync(path.join(dir, "sshd.log")) ? fs.readFileSync(path.join(dir, "sshd.log"), "utf8") : "no log"}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const sshCommand = `ssh -i ${path.join(dir, "user_key")} -o IdentitiesOnly=yes -o UserKnownHostsFile=${path.join(dir, "known_hosts")} -o StrictHostKeyChecking=accept-new -o LogLevel=ERROR`;
  return {
    port,
    user,
    sshCommand,
    url: `ssh://${user}@127.0.0.1:${port}`,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once("exit", r)));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
