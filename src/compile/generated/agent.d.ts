// Generated from schemas/agent.schema.json by scripts/gen-types.mjs. Do not edit.

/**
 * agent.toml: a coding agent's microVM or Kubernetes sandbox (keystone SPEC-012).
 */
export interface AgentConfig {
  profile?: string;
  extends?: string[];
  defaults?: {
    /**
     * MiB
     */
    memory?: number;
    vcpus?: number;
    nested_virt?: boolean;
    network?: "user" | "tap" | "macvtap" | "bridge" | "nat" | "none";
    sync_mode?: "manual" | "auto-commit" | "auto-idle";
    sync_idle_seconds?: number;
    persist?: boolean;
    env_files?: string[];
  };
  backend?: {
    type?: "microvm" | "kubernetes";
    microvm?: {
      hypervisor?: "qemu" | "firecracker" | "cloud-hypervisor";
      share_proto?: "virtiofs" | "9p";
      qemu_extra_args?: string[];
    };
    kubernetes?: {
      context?: string;
      namespace?: string;
      storage_class?: string;
      image?: string;
    };
  };
  proxy?: {
    enable?: boolean;
    domain?: string;
    port?: number;
  };
}
