# The microvm.nix guest options sbx emits, mirrored as FACTS (names, types, defaults) from
# microvm-nix/microvm.nix nixos-modules/microvm/options.nix at revision 71beea00
# (2026-08-09). Written for sbx; no code copied. Only this subset is declared: any other
# microvm.* name is rejected as unknown, which is stricter than microvm.nix on purpose.
# `hostName` is the VM name (microvm.nix's default networking.hostName for microvm.vms.<name>).
{ t, hostName }:
let
  inherit (t) option optionDefault optionLazy;
  ty = t.types;
  hypervisors = [ "qemu" "cloud-hypervisor" "firecracker" "crosvm" "kvmtool" "stratovirt" "alioth" "vfkit" ];
in
{
  guest.enable = optionDefault ty.bool true;
  hypervisor = optionDefault (ty.enum hypervisors) "qemu";
  cpu = optionDefault (ty.nullOr ty.str) null;
  vcpu = optionDefault ty.positive 1;
  mem = optionDefault ty.positive 512;
  hugepageMem = optionDefault ty.bool false;
  hotplugMem = optionDefault ty.unsigned 0;
  balloon = optionDefault ty.bool false;

  forwardPorts = optionDefault (ty.listOf (ty.submodule {
    from = optionDefault (ty.enum [ "host" "guest" ]) "host";
    proto = optionDefault (ty.enum [ "tcp" "udp" ]) "tcp";
    host.address = optionDefault ty.str "";
    host.port = option ty.port;
    guest.address = optionDefault ty.str "";
    guest.port = option ty.port;
  })) [ ];

  volumes = optionDefault (ty.listOf (ty.submodule {
    image = option ty.str;
    serial = optionDefault (ty.nullOr ty.str) null;
    direct = optionDefault ty.bool false;
    readOnly = optionDefault ty.bool false;
    label = optionDefault (ty.nullOr ty.str) null;
    mountPoint = option (ty.nullOr ty.path);
    size = option ty.int;
    autoCreate = optionDefault ty.bool true;
    mkfsExtraArgs = optionDefault (ty.listOf ty.str) [ ];
    fsType = optionDefault ty.str "ext4";
    imageType = optionDefault (ty.enum [ "raw" "qcow2" "vhd" "vhdx" ]) "raw";
  })) [ ];

  interfaces = optionDefault (ty.listOf (ty.submodule {
    type = option (ty.enum [ "user" "tap" "macvtap" "bridge" ]);
    id = option ty.str;
    macvtap.link = optionLazy ty.str;
    macvtap.mode = optionLazy (ty.enum [ "private" "vepa" "bridge" "passthru" "source" ]);
    bridge = optionDefault (ty.nullOr ty.str) null;
    mac = option ty.str;
    tap.vhost = optionDefault ty.bool false;
  })) [ ];

  # The socket default depends on the share's own proto and tag.
  shares = optionDefault (ty.listOf (ty.submodule (raw: {
    tag = option ty.str;
    socket = optionDefault (ty.nullOr ty.str)
      (if (raw.proto or "9p") == "virtiofs" then "${hostName}-virtiofs-${raw.tag or "?"}.sock" else null);
    source = option ty.nonEmptyStr;
    securityModel = optionDefault (ty.enum [ "passthrough" "none" "mapped" "mapped-file" ]) "none";
    mountPoint = option ty.path;
    proto = optionDefault (ty.enum [ "9p" "virtiofs" ]) "9p";
    readOnly = optionDefault ty.bool false;
    cache = optionDefault (ty.enum [ "auto" "always" "metadata" "never" ]) "auto";
    posixAcl = optionDefault ty.bool true;
    extraArgs = optionDefault (ty.listOf ty.str) [ ];
  }))) [ ];

  vsock.cid = optionDefault (ty.nullOr ty.int) null;
  writableStoreOverlay = optionDefault (ty.nullOr ty.str) null;
  qemu.extraArgs = optionDefault (ty.listOf ty.str) [ ];
  virtiofsd.extraArgs = optionDefault (ty.listOf ty.str) [ ];
}
