# microvm.nix's guest assertions and warnings that apply to what sbx emits, mirrored as
# FACTS from nixos-modules/microvm/asserts.nix and lib/runners/qemu.nix at 71beea00.
# Input: the checked `microvm` value. Output: { failed = [ message ]; warnings = [ message ]; }.
{ hostName, cfg }:
let
  inherit (builtins) any attrValues concatMap filter groupBy head length stringLength toString;
  dups = key: what: xs:
    concatMap (g: if length g > 1 then [ "MicroVM ${hostName}: ${what} \"${key (head g)}\" is used ${toString (length g)} > 1 times." ] else [ ])
      (attrValues (groupBy key xs));
  virtiofs = filter (s: s.proto == "virtiofs") cfg.shares;
  checks =
    dups (v: v.image) "volume image" cfg.volumes
    ++ dups (i: i.id) "interface id" cfg.interfaces
    ++ concatMap (i:
      if i.type == "bridge" && i.bridge == null then [ "MicroVM ${hostName}: interface ${i.id} is of type \"bridge\" but doesn't have a bridge to attach to defined." ]
      else if i.type != "bridge" && i.bridge != null then [ "MicroVM ${hostName}: interface ${i.id} is not of type \"bridge\" and therefore shouldn't have a \"bridge\" option defined." ]
      else [ ]) cfg.interfaces
    ++ concatMap (i: if i.type == "macvtap" && !(i ? macvtap && i.macvtap ? link && i.macvtap ? mode) then [ "MicroVM ${hostName}: macvtap interface ${i.id} needs macvtap.link and macvtap.mode." ] else [ ]) cfg.interfaces
    ++ concatMap (i: if stringLength i.id > 15 then [ "MicroVM ${hostName}: interface name ${i.id} is longer than the maximum length of 15 characters on Linux." ] else [ ]) cfg.interfaces
    ++ dups (s: s.tag) "share tag" cfg.shares
    ++ dups (s: toString s.socket) "share socket" virtiofs
    ++ concatMap (s: if s.socket == null then [ "MicroVM ${hostName}: virtiofs share with tag \"${s.tag}\" is missing a `socket` path." ] else [ ]) virtiofs
    ++ (if cfg.forwardPorts != [ ] && !(cfg.hypervisor == "qemu" && any (i: i.type == "user") cfg.interfaces)
        then [ "MicroVM ${hostName}: `config.microvm.forwardPorts` works only with qemu and one network interface with `type = \"user\"`" ]
        else [ ]);
in
{
  failed = checks;
  warnings =
    (if cfg.mem < 32 then [ "MicroVM ${hostName}: ${toString cfg.mem} MB of RAM is uncomfortably narrow." ] else [ ])
    ++ (if cfg.hypervisor == "qemu" && cfg.mem == 2048 then [ "MicroVM ${hostName}: QEMU hangs if memory is exactly 2GB (microvm.nix issue #171)." ] else [ ]);
}
