# The microvm.nix host options (nixos-modules/host/options.nix at 71beea00), mirrored as
# FACTS for the host module sbx writes. Defaults that need nixpkgs (vms.<name>.nixpkgs,
# .pkgs, .restartIfChanged) are declared without one and left out of the projection.
{ t }:
let
  inherit (t) option optionDefault optionLazy;
  ty = t.types;
in
{
  host.enable = optionDefault ty.bool true;
  host.startupTimeout = optionDefault ty.positive 150;
  host.useNotifySockets = optionDefault ty.bool false;
  vms = optionDefault (ty.attrsOf (ty.submodule {
    evaluatedConfig = optionDefault (ty.nullOr ty.unspecified) null;
    config = optionDefault (ty.nullOr ty.module) null;
    nixpkgs = optionLazy ty.path;
    pkgs = optionLazy (ty.nullOr ty.unspecified);
    specialArgs = optionDefault (ty.attrsOf ty.unspecified) { };
    extraModules = optionDefault (ty.listOf ty.module) [ ];
    flake = optionDefault (ty.nullOr ty.path) null;
    updateFlake = optionDefault (ty.nullOr ty.str) null;
    autostart = optionDefault ty.bool true;
    restartIfChanged = optionLazy ty.bool;
  })) { };
  stateDir = optionDefault ty.path "/var/lib/microvms";
  autostart = optionDefault (ty.listOf ty.str) [ ];
}
