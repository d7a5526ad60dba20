// Generated from schemas/agent.schema.json by scripts/gen-types.mjs. Do not edit.

/**
 * agent.toml: a coding agent's microVM or Kubernetes sandbox (keystone SPEC-012).
 */
export interface AgentConfig {
  /**
   * sbx extension (keystone has no project name): names the sandbox when the repository has no infra.toml. Default: the main repository's directory name.
   */
  project?: {
    /**
     * Project name, as infra.toml's [project] name (both may be given only if they agree).
     */
    name?: string;
  };
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
    /**
     * Keep guest state across restarts: a disk image (backend.microvm.volume) mounted in the guest.
     */
    persist?: boolean;
    env_files?: string[];
  };
  backend?: {
    type?: "microvm" | "kubernetes";
    /**
     * microvm.nix guest and host settings (see docs/microvm.md).
     */
    microvm?: {
      /**
       * microvm.hypervisor. Forwarded ports (SSH included) need qemu with user networking.
       */
      hypervisor?: "qemu" | "firecracker" | "cloud-hypervisor";
      /**
       * Protocol of the /nix/store and workspace shares, and the default for [[backend.microvm.shares]].
       */
      share_proto?: "virtiofs" | "9p";
      qemu_extra_args?: string[];
      /**
       * microvm.vms.<name>.autostart: start the VM at host boot (sbx starts it on apply either way).
       */
      autostart?: boolean;
      /**
       * Absolute guest path where the worktree is shared.
       */
      workspace_mount?: string;
      /**
       * Share the host's /nix/store read-only at /nix/.ro-store.
       */
      store_share?: boolean;
      /**
       * Host-side interface name (at most 15 characters). Default: vm-<project hash>-<slot>.
       */
      interface_id?: string;
      /**
       * Host bridge to attach to when defaults.network = "bridge".
       */
      bridge?: string;
      /**
       * Host interface for defaults.network = "macvtap".
       */
      macvtap_link?: string;
      macvtap_mode?: "private" | "vepa" | "bridge" | "passthru" | "source";
      /**
       * Guest ports reachable on the host: NAME names a [sandbox.ports] variable of infra.toml, whose slot value is the host port. SSH (guest 22) is forwarded from SSH_PORT without being listed.
       */
      forward_ports?: {
        [k: string]:
          | number
          | {
              guest: number;
              proto?: "tcp" | "udp";
              /**
               * Host address to listen on.
               */
              host_address?: string;
            }
          | undefined;
      };
      /**
       * Extra host directories shared into the guest (microvm.shares).
       */
      shares?: {
        /**
         * Unique share tag (workspace and ro-store are taken).
         */
        tag: string;
        /**
         * Host directory: absolute, or relative to the worktree.
         */
        source: string;
        /**
         * Absolute guest path.
         */
        mount_point: string;
        read_only?: boolean;
        /**
         * Default: backend.microvm.share_proto.
         */
        proto?: "virtiofs" | "9p";
      }[];
      /**
       * The disk image used when defaults.persist = true (microvm.volumes).
       */
      volume?: {
        /**
         * MiB
         */
        size?: number;
        /**
         * Absolute guest path.
         */
        mount_point?: string;
        /**
         * Image file name, kept in the host's /var/lib/microvms/<vm>/.
         */
        image?: string;
      };
      /**
       * Guest login user (wheel, passwordless sudo).
       */
      user?: string;
      /**
       * Public keys allowed to log in as the guest user.
       */
      ssh_authorized_keys?: string[];
      /**
       * Guest system.stateVersion.
       */
      state_version?: string;
      /**
       * Absolute host directory where sbx apply writes each VM's modules (<dir>/<vm>/host.nix and vms/); the host's NixOS configuration imports every <dir>/* /host.nix.
       */
      host_config_dir?: string;
      /**
       * Run after sbx apply writes or changes the modules, before it starts the VM, so the host declares it. [] to run nothing (then rebuild yourself before the VM can start).
       */
      rebuild_command?: string[];
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
