# sbx's offline checker for the Nix it generates, in plain Nix (no nixpkgs, no network).
# Mirrors microvm-nix/microvm.nix at revision 71beea00 (2026-08-09): guest options
# (microvm-options.nix), guest assertions and the QEMU 2 GiB warning (microvm-asserts.nix),
# host options (microvm-host-options.nix); keystone.agent.* at ncrmro/keystone 3fefb881.
# To check against a host's own microvm.nix and nixpkgs revisions, use check-real.nix.
#
#   nix-instantiate --eval --strict --json nix/checker --argstr host /abs/host.nix
#   nix-instantiate --eval --strict --json nix/checker --argstr vm /abs/vms/x.nix --argstr extras /abs/vms/x.extras.nix --argstr name x
#   nix-instantiate --eval --strict --json nix/checker --argstr keystone /abs/keystone-agent.nix
#
# Prints a JSON projection of the checked values (defaults applied), or fails with
# "sbx checker: ..." on stderr: wrong type, unknown option, missing value, failed
# microvm.nix assertion or sbx policy. Arguments are absolute file paths.
{ host ? null, vm ? null, extras ? null, name ? "sandbox", keystone ? null }:
let
  inherit (builtins) attrNames concatMap concatStringsSep filter isAttrs isList mapAttrs map removeAttrs typeOf;
  t = import ./types.nix;
  modules = import ./modules.nix { inherit t; };
  file = f: /. + f;

  # JSON-safe copy: paths become strings (toJSON would copy them into the store).
  plain = v:
    if typeOf v == "path" then toString v
    else if isAttrs v then mapAttrs (_: plain) v
    else if isList v then map plain v
    else v;

  failWith = what: msgs:
    if msgs == [ ] then true
    else throw "sbx checker: ${what}:\n${concatStringsSep "\n" (map (m: "- ${m}") msgs)}";

  nixosOptions = import ./nixos-options.nix { inherit t; };

  checkVm = vmName: module:
    let
      mods = modules.collect vmName "microvm.vms.${vmName}.config" module;
      raw = modules.mergeModules mods;
      checked = t.checkTree [ ] ({ microvm = import ./microvm-options.nix { inherit t; hostName = vmName; }; } // nixosOptions) raw;
      asserts = import ./microvm-asserts.nix { hostName = vmName; cfg = checked.microvm; };
      policy = import ./policy.nix { name = vmName; inherit mods raw checked; };
    in
    assert failWith "failed microvm.nix assertions" asserts.failed;
    assert failWith "sbx policy violations" policy;
    {
      files = map (m: baseNameOf m.file) (filter (m: m.keys != [ ]) mods);
      microvm = plain checked.microvm;
      nixos = plain (removeAttrs checked [ "microvm" ]);
      inherit (asserts) warnings;
    };

  checkHost = f:
    let
      mods = modules.collect "host" "host" (file f);
      raw = modules.mergeModules mods;
      checked = t.checkTree [ ] { microvm = import ./microvm-host-options.nix { inherit t; }; } raw;
      vms = checked.microvm.vms;
      asserts = concatMap (n:
        (if vms.${n}.config != null && vms.${n}.flake != null then [ "vm ${n}: Fully-declarative VMs cannot also set a flake!" ] else [ ])
        ++ (if vms.${n}.config != null && vms.${n}.updateFlake != null then [ "vm ${n}: Fully-declarative VMs cannot set a updateFlake!" ] else [ ])) (attrNames vms);
    in
    assert failWith "failed microvm.nix host assertions" asserts;
    {
      vms = mapAttrs (n: v: {
        inherit (v) autostart flake updateFlake;
        guest = if v.config == null then null else checkVm n v.config;
      }) vms;
    };

  checkKeystone = f:
    let
      raw = modules.mergeModules (modules.collect "keystone" "keystone" (file f));
      checked = t.checkTree [ ] { keystone.agent = import ./keystone-options.nix { inherit t; }; } raw;
    in
    plain checked;

  result =
    (if host != null then { host = checkHost host; } else { })
    // (if vm != null then { vm = checkVm name { imports = [ (file vm) ] ++ (if extras != null then [ (file extras) ] else [ ]); }; } else { })
    // (if keystone != null then { keystone = checkKeystone keystone; } else { });
in
builtins.deepSeq result result
