# sbx's own rules for what it generates, on top of microvm.nix's: each file keeps to its
# job, every share names its protocol, the firewall opens every forwarded guest port,
# MACs are locally administered unicast, host ports are not reused, and forwarded ports
# come with exactly one user-mode interface.
# Input: the VM name, the collected modules, the raw merged config and the checked config.
{ name, mods, raw, checked }:
let
  inherit (builtins) attrValues concatMap elem filter groupBy length match toString;
  mv = checked.microvm;
  fw = checked.networking.firewall;
  userIfaces = filter (i: i.type == "user") mv.interfaces;
in
concatMap (m:
  if elem "microvm" m.keys && m.keys != [ "microvm" ] then [ "${m.file} mixes microvm.* with other NixOS options; keep them in separate modules" ] else [ ]) mods
++ (if filter (m: m.keys == [ "microvm" ]) mods == [ ] then [ "no module of ${name} defines microvm.* options" ] else [ ])
++ concatMap (s: if s ? proto then [ ] else [ "share \"${s.tag or "?"}\" of ${name} does not set proto (microvm.nix would default to 9p)" ]) ((raw.microvm or { }).shares or [ ])
++ concatMap (f:
  let open = if f.proto == "tcp" then fw.allowedTCPPorts else fw.allowedUDPPorts; in
  if f.from == "host" && !(elem f.guest.port open) then [ "forwarded guest port ${toString f.guest.port}/${f.proto} of ${name} is not opened in networking.firewall" ] else [ ]) mv.forwardPorts
++ concatMap (i: if match "[0-9a-fA-F][26aeAE](:[0-9a-fA-F]{2}){5}" i.mac == null then [ "interface ${i.id} of ${name}: MAC ${i.mac} is not a locally administered unicast address (x2/x6/xA/xE:..)" ] else [ ]) mv.interfaces
++ concatMap (g: if length g > 1 then [ "host port ${toString (builtins.head g).host.port}/${(builtins.head g).proto} of ${name} is forwarded ${toString (length g)} times" ] else [ ])
  (attrValues (groupBy (f: "${f.proto}:${toString f.host.port}") (filter (f: f.from == "host") mv.forwardPorts)))
++ (if mv.forwardPorts != [ ] && length userIfaces != 1 then [ "${name} forwards ports but has ${toString (length userIfaces)} interfaces of type \"user\" (needs exactly one)" ] else [ ])
