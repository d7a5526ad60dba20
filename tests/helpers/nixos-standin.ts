// A stand-in NixOS host for tests (there is no NixOS here): a temp directory standing in for
// `/` (etc/NIXOS marks it NixOS; sbx reaches it through SBX_TEST_HOST_ROOT), and stand-in
// `systemctl`, `nixos-rebuild`, `journalctl` and `ssh` on PATH that record every call.
// The stand-in nixos-rebuild declares the VMs whose host.nix sbx wrote under
// etc/nixos/sbx/*/ (as a host configuration importing them would), checking each with the
// real nix-instantiate (parse, and the checker) when Nix is present; microvm@<vm> starts
// only when declared.

import * as fs from "node:fs";
import * as path from "node:path";
import { tmpdir } from "./sbx.js";

export interface StandinHost {
  /** The directory standing in for the host's `/`. */
  root: string;
  /** PATH with the stand-ins first. */
  env: NodeJS.ProcessEnv;
  /** Every stand-in call so far, one line each (`systemctl start microvm@x`). */
  calls(): string[];
  /** Whether the stand-in systemd runs microvm@<vm>. */
  active(vm: string): boolean;
  /** Stop the VM behind sbx's back. */
  kill(vm: string): void;
  /** argv of each ssh call (one array per call). */
  sshCalls(): string[][];
}

const SYSTEMCTL = `#!/bin/sh
# Stand-in systemctl (tests): records the call; microvm@<vm> runs only when declared.
root="$SBX_TEST_HOST_ROOT"
echo "systemctl $*" >> "$root/calls.log"
unit="$2"
vm="\${unit#microvm@}"
case "$1" in
  cat)
    case "$unit" in
      microvm@.service) [ -z "$STANDIN_NO_MICROVM" ] && { echo "# stand-in microvm@.service"; exit 0; } ;;
      install-microvm-*.service) v="\${unit#install-microvm-}"; [ -e "$root/declared/\${v%.service}" ] && exit 0 ;;
    esac
    echo "No files found for $unit." >&2; exit 1 ;;
  start|restart)
    [ -e "$root/declared/$vm" ] || { echo "Failed to $1 $unit: Unit $unit not found." >&2; exit 5; }
    mkdir -p "$root/active" && touch "$root/active/$vm" ;;
  stop) rm -f "$root/active/$vm" ;;
  is-active) if [ -e "$root/active/$vm" ]; then echo active; else echo inactive; exit 3; fi ;;
  *) echo "stand-in systemctl: $1 not supported" >&2; exit 1 ;;
esac
`;

const NIXOS_REBUILD = `#!/bin/sh
# Stand-in nixos-rebuild (tests): declares each VM whose etc/nixos/sbx/<vm>/host.nix exists,
# after the real nix-instantiate parsed and checked it (when STANDIN_CHECKER is set).
root="$SBX_TEST_HOST_ROOT"
echo "nixos-rebuild $*" >> "$root/calls.log"
rm -rf "$root/declared" && mkdir -p "$root/declared"
for f in "$root"/etc/nixos/sbx/*/host.nix; do
  [ -e "$f" ] || continue
  if [ -n "$STANDIN_CHECKER" ]; then
    nix-instantiate --parse "$f" > /dev/null || exit 1
    nix-instantiate --eval --strict --json "$STANDIN_CHECKER" --argstr host "$f" > /dev/null || exit 1
  fi
  touch "$root/declared/$(basename "$(dirname "$f")")"
done
`;

const JOURNALCTL = `#!/bin/sh
# Stand-in journalctl (tests): records the call and prints two lines for the unit.
root="$SBX_TEST_HOST_ROOT"
echo "journalctl $*" >> "$root/calls.log"
echo "stand-in journal: $2 booted"
echo "stand-in journal: $2 sshd listening"
`;

const SSH = `#!/bin/sh
# Stand-in ssh (tests): records its argv (one argument per line, calls separated by a blank line).
root="$SBX_TEST_HOST_ROOT"
echo "ssh $*" >> "$root/calls.log"
for a in "$@"; do printf '%s\\n' "$a" >> "$root/ssh.argv"; done
printf '\\n' >> "$root/ssh.argv"
exit "\${STANDIN_SSH_EXIT:-0}"
`;

export function standinHost(opts: { checker?: string; withSsh?: boolean; extraEnv?: NodeJS.ProcessEnv } = {}): StandinHost {
  const root = tmpdir("sbx-nixos-root-");
  const bin = path.join(root, "standin-bin");
  fs.mkdirSync(path.join(root, "etc"), { recursive: true });
  fs.writeFileSync(path.join(root, "etc", "NIXOS"), "");
  fs.mkdirSync(bin);
  const scripts: Record<string, string> = { systemctl: SYSTEMCTL, "nixos-rebuild": NIXOS_REBUILD, journalctl: JOURNALCTL };
  if (opts.withSsh) scripts.ssh = SSH;
  for (const [name, text] of Object.entries(scripts)) fs.writeFileSync(path.join(bin, name), text, { mode: 0o755 });
  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    SBX_TEST_HOST_ROOT: root,
    // No user-level ~/.config/keystone/agent.toml leaks in.
    XDG_CONFIG_HOME: path.join(root, "xdg"),
    ...(opts.checker ? { STANDIN_CHECKER: opts.checker } : {}),
    ...opts.extraEnv,
  };
  const read = (f: string) => (fs.existsSync(path.join(root, f)) ? fs.readFileSync(path.join(root, f), "utf8") : "");
  return {
    root,
    env,
    calls: () => read("calls.log").split("\n").filter(Boolean),
    active: (vm) => fs.existsSync(path.join(root, "active", vm)),
    kill: (vm) => fs.rmSync(path.join(root, "active", vm), { force: true }),
    sshCalls: () =>
      read("ssh.argv")
        .split("\n\n")
        .filter(Boolean)
        .map((c) => c.split("\n")),
  };
}
