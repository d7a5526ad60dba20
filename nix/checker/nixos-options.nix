# The few NixOS options sbx's guest extras module sets, declared with NixOS's types (facts
# from nixpkgs nixos/modules: networking/firewall, services/openssh, security/sudo,
# config/users-groups, misc/version). Not pinned to microvm.nix; any other name is
# rejected as unknown, so a typo in what sbx emits cannot pass.
{ t }:
let
  inherit (t) option optionDefault;
  ty = t.types;
  singleLineStr = ty.str // {
    description = "(optionally newline-terminated) single-line string";
    check = loc: v:
      if builtins.isString v && builtins.match "[^\n]*\n?" v != null then v
      else throw "sbx checker: the option `${t.showLoc loc}' is not of type `(optionally newline-terminated) single-line string'. Value: ${t.show v}";
  };
in
{
  networking.firewall.enable = optionDefault ty.bool true;
  networking.firewall.allowedTCPPorts = optionDefault (ty.listOf ty.port) [ ];
  networking.firewall.allowedUDPPorts = optionDefault (ty.listOf ty.port) [ ];
  services.openssh.enable = optionDefault ty.bool false;
  services.openssh.settings.PasswordAuthentication = optionDefault ty.bool true;
  security.sudo.wheelNeedsPassword = optionDefault ty.bool true;
  system.stateVersion = option ty.str;
  users.users = optionDefault (ty.attrsOf (ty.submodule {
    isNormalUser = optionDefault ty.bool false;
    extraGroups = optionDefault (ty.listOf ty.str) [ ];
    openssh.authorizedKeys.keys = optionDefault (ty.listOf singleLineStr) [ ];
  })) { };
}
