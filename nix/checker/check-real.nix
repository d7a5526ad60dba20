# Checks sbx's generated modules against a REAL microvm.nix and nixpkgs lib (your host's
# revisions) with lib.evalModules, offline and without building anything:
#
#   nix-instantiate --eval --strict --json nix/checker/check-real.nix \
#     --argstr nixpkgsLib /path/to/nixpkgs/lib --argstr microvm /path/to/microvm.nix \
#     --argstr vm /abs/vms/<vm>.nix --argstr extras /abs/vms/<vm>.extras.nix --argstr name <vm>
#
# (and/or --argstr host /abs/host.nix). nixpkgsLib is the `lib` directory of a nixpkgs
# checkout or of nix-community/nixpkgs.lib; microvm is a microvm.nix checkout (the
# directory holding nixos-modules/). Take both revisions from the host's flake.lock.
# microvm.* options are checked strictly by microvm.nix's own options.nix and asserts.nix;
# the NixOS namespaces the extras module uses are passed through unchecked (no NixOS here).
# Prints a JSON projection, or fails: wrong type, unknown option, failed assertion.
{ nixpkgsLib, microvm, vm ? null, extras ? null, name ? "sandbox", host ? null }:
let
  lib = import (/. + nixpkgsLib);
  src = /. + microvm;
  noPkgs = throw "sbx check-real: pkgs is not available offline; a value that needs it cannot be checked here";

  # The options microvm.nix's guest modules read from NixOS, declared as in NixOS.
  nixosStubs = { lib, ... }: {
    options = {
      assertions = lib.mkOption { type = lib.types.listOf lib.types.unspecified; default = [ ]; };
      warnings = lib.mkOption { type = lib.types.listOf lib.types.str; default = [ ]; };
      networking.hostName = lib.mkOption { type = lib.types.str; default = name; };
      nix.optimise.automatic = lib.mkOption { type = lib.types.bool; default = false; };
    };
  };
  # Namespaces of the extras module: accepted as they are, so microvm.* alone is strict.
  passthru = { lib, ... }:
    let any = lib.mkOption { type = lib.types.lazyAttrsOf lib.types.anything; default = { }; }; in
    { options = { networking.firewall = any; services = any; users = any; security = any; system = any; }; };

  guest =
    let
      eval = lib.evalModules {
        modules = [ (src + "/nixos-modules/microvm/options.nix") (src + "/nixos-modules/microvm/asserts.nix") nixosStubs passthru (/. + vm) ]
          ++ lib.optional (extras != null) (/. + extras);
        specialArgs.pkgs = noPkgs;
      };
      c = eval.config;
      m = c.microvm;
      failed = map (a: a.message) (lib.filter (a: !a.assertion) c.assertions);
    in
    if failed != [ ] then throw "sbx check-real: failed microvm.nix assertions:\n${lib.concatStringsSep "\n" failed}"
    else {
      inherit (m) hypervisor mem vcpu;
      warnings = c.warnings;
      shares = map (s: { inherit (s) tag source mountPoint proto readOnly socket; }) m.shares;
      interfaces = map (i: { inherit (i) type id mac bridge; }) m.interfaces;
      forwardPorts = map (f: { inherit (f) from proto; host = { inherit (f.host) address port; }; guest = { inherit (f.guest) address port; }; }) m.forwardPorts;
      volumes = map (v: { inherit (v) image size autoCreate; mountPoint = toString v.mountPoint; }) m.volumes;
      qemuExtraArgs = m.qemu.extraArgs;
      firewall = c.networking.firewall;
    };

  hostResult =
    let
      eval = lib.evalModules {
        modules = [ (src + "/nixos-modules/host/options.nix") (/. + host) ];
        specialArgs.pkgs = noPkgs;
      };
    in
    # `.config` of a VM imports nixpkgs' eval-config.nix; only what needs no nixpkgs is read.
    lib.mapAttrs (_: v: { inherit (v) autostart flake updateFlake; }) eval.config.microvm.vms;

  result =
    (if vm != null then { vm = guest; } else { })
    // (if host != null then { host = hostResult; } else { });
in
builtins.deepSeq result result
