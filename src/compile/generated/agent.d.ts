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
    /**
     * Run the agent as a Pod (kubectl apply --server-side, field manager sbx).
     */
    kubernetes?: {
      /**
       * kubeconfig context (`kubectl config get-contexts`). A profile's placement k8s://<context>/<namespace> may set it instead.
       */
      context?: string;
      /**
       * A namespace shared with other sandboxes: sbx labels its objects and deletes only those. Unset: sbx creates a namespace of the sandbox's own (sbx-<instance>) and deletes it on destroy.
       */
      namespace?: string;
      /**
       * StorageClass of the workspace volume when persist = true. Unset: the cluster's default class.
       */
      storage_class?: string;
      /**
       * Size requested for the workspace volume when persist = true (a Kubernetes quantity).
       */
      volume_size?: string;
      /**
       * Container image of the agent's Pod.
       */
      image?: string;
      /**
       * Where the workspace volume is mounted in the agent's container.
       */
      workspace?: string;
      /**
       * Overrides the image's entrypoint (Kubernetes `command`).
       */
      command?: string[];
    };
  };
  proxy?: {
    enable?: boolean;
    domain?: string;
    port?: number;
  };
}
