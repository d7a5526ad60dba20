# keystone.agent.* as declared by ncrmro/keystone modules/keystone/agent/default.nix at
# 3fefb881 (the last revision with the feature), mirrored as FACTS for sbx's keystone block.
{ t }:
let
  inherit (t) optionDefault;
  ty = t.types;
in
{
  enable = optionDefault ty.bool false;
  sandbox = {
    memory = optionDefault ty.int 8192;
    vcpus = optionDefault ty.int 4;
    nestedVirtualization = optionDefault ty.bool true;
    network = optionDefault (ty.enum [ "user" "tap" "macvtap" "bridge" ]) "user";
    syncMode = optionDefault (ty.enum [ "manual" "auto-commit" "auto-idle" ]) "manual";
    persist = optionDefault ty.bool true;
  };
  backend = {
    type = optionDefault (ty.enum [ "microvm" "kubernetes" ]) "microvm";
    microvm.hypervisor = optionDefault (ty.enum [ "qemu" "firecracker" "cloud-hypervisor" ]) "qemu";
    microvm.shareType = optionDefault (ty.enum [ "virtiofs" "9p" ]) "virtiofs";
    kubernetes.context = optionDefault (ty.nullOr ty.str) null;
    kubernetes.namespace = optionDefault ty.str "keystone-agent";
    kubernetes.storageClass = optionDefault ty.str "standard";
  };
  proxy = {
    enable = optionDefault ty.bool false;
    domain = optionDefault ty.str "sandbox.local";
    port = optionDefault ty.port 8080;
  };
  guest = {
    packages = optionDefault (ty.listOf ty.unspecified) [ ];
    agents.claudeCode.enable = optionDefault ty.bool true;
    agents.claudeCode.autoAccept = optionDefault ty.bool true;
    agents.geminiCli.enable = optionDefault ty.bool false;
    agents.codex.enable = optionDefault ty.bool false;
  };
}
