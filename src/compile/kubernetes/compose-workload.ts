// Compose services → a Deployment each, a Service for their ports, and volumes.

import type { IDeploymentSpec } from "kubernetes-models/apps/v1/DeploymentSpec";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { IResourceRequirements } from "kubernetes-models/v1/ResourceRequirements";
import type { IServiceSpec } from "kubernetes-models/v1/ServiceSpec";
import type { IVolume } from "kubernetes-models/v1/Volume";
import type { IVolumeMount } from "kubernetes-models/v1/VolumeMount";
import { error, warning, type SourceRange } from "../diagnostics.js";
import { expandCompose, wholeSecretRef } from "./compose-values.js";
import { cpuQuantity, deriveName, memoryQuantity, portName } from "./names.js";
import { add, claim, compact, envFrom, meta, objectName, podMeta, pvc, selectorLabels, type BuildCtx } from "./objects.js";
import type { ComposePort, ComposeService, ComposeWorkload, Manifest } from "./types.js";

/** Requests equal limits (Guaranteed QoS): a sandbox reserves what it is given, as a VM would. */
export function resourcesFor(memoryMiB?: number, millicores?: number): IResourceRequirements | undefined {
  const q: Record<string, string> = {};
  if (millicores !== undefined) q.cpu = cpuQuantity(millicores);
  if (memoryMiB !== undefined) q.memory = memoryQuantity(memoryMiB);
  return Object.keys(q).length ? { limits: q, requests: { ...q } } : undefined;
}

export function buildCompose(ctx: BuildCtx, w: ComposeWorkload): void {
  const { input, diags } = ctx;
  if (w.services.length === 0) {
    diags.push(error("Compose file has no services", { detail: "The kubernetes backend needs at least one service with an image." }));
    return;
  }
  const shareOf = w.services.filter((s) => s.memoryMiB === undefined || s.millicores === undefined).length || 1;
  const memShare = input.memoryMiB !== undefined ? Math.floor(input.memoryMiB / shareOf) : undefined;
  const cpuShare = input.vcpus !== undefined ? Math.max(1, Math.floor((input.vcpus * 1000) / shareOf)) : undefined;
  if (ctx.shared && w.services.length > 1)
    diags.push(
      warning("Compose service names are prefixed in a shared namespace", {
        ...(ctx.input.target.namespaceAt ? { range: ctx.input.target.namespaceAt } : {}),
        detail: `In the shared namespace \`${ctx.namespace}', service \`${w.services[0]!.name}' is reachable as \`${objectName(ctx, w.services[0]!.name, "dns1035-label")}', not by its compose name. Leave the namespace unset to give the sandbox its own, where compose names resolve as they do in compose.`,
      }),
    );
  const volumeUsers = new Map<string, string[]>();
  for (const s of w.services)
    for (const v of s.volumes) if (v.type === "named") volumeUsers.set(v.source!, [...(volumeUsers.get(v.source!) ?? []), s.name]);
  for (const [vol, users] of volumeUsers) {
    if (users.length > 1)
      diags.push(
        warning(`Volume \`${vol}' is used by ${users.length} services`, {
          detail: `${users.join(", ")} mount it. ${input.persist ? "It becomes one ReadWriteOnce PersistentVolumeClaim, which attaches to one node at a time" : "Without persist each pod gets its own emptyDir, so they do not share files"}.`,
        }),
      );
    if (input.persist) {
      const name = objectName(ctx, vol, "dns1123-subdomain");
      if (claim(ctx, "PersistentVolumeClaim", name, `volume ${vol}`)) add(ctx, "k8s.pvc", vol, pvc(ctx, name, vol));
    }
  }
  for (const s of w.services) buildService(ctx, s, memShare, cpuShare);
}

function buildService(ctx: BuildCtx, s: ComposeService, memShare?: number, cpuShare?: number): void {
  const { diags, scope } = ctx;
  const at = s.at;
  const loc = at ? { range: at } : {};
  const svcName = objectName(ctx, s.name, "dns1035-label");
  if (!ctx.shared && svcName !== s.name)
    diags.push(warning(`Service \`${s.name}' is named \`${svcName}' on Kubernetes`, { ...loc, detail: `Kubernetes names allow lowercase letters, digits and '-' only, so other services reach it as \`${svcName}'. Rename the compose service to \`${svcName}' to keep one name.` }));
  if (!claim(ctx, "Deployment", svcName, `service ${s.name}`, at)) return;
  if (s.image === undefined) {
    diags.push(
      error(`Service \`${s.name}' has no image`, {
        ...loc,
        detail: s.build ? `services.${s.name} has \`build:\`, which a cluster cannot run from your worktree. Build and push the image, then set \`image:\` to a reference the cluster can pull.` : `Set services.${s.name}.image.`,
      }),
    );
    return;
  }
  const image = plain(ctx, s.image, `services.${s.name}.image`, at);
  const used = new Set<string>();
  const container: IContainer = { name: deriveName(s.name), image };
  if (s.entrypoint) container.command = s.entrypoint.map((a) => kubeText(ctx, a, `services.${s.name}.entrypoint`, used, at));
  if (s.command) container.args = s.command.map((a) => kubeText(ctx, a, `services.${s.name}.command`, used, at));
  if (s.workingDir) container.workingDir = plain(ctx, s.workingDir, `services.${s.name}.working_dir`, at);
  const env = s.environment.map((e): IEnvVar => {
    const whole = wholeSecretRef(e.value, scope);
    if (whole) return { name: e.name, valueFrom: { secretKeyRef: { name: ctx.secret!, key: whole } } };
    return { name: e.name, value: kubeText(ctx, e.value, `services.${s.name}.environment.${e.name}`, used, e.at ?? at) };
  });
  // `$(NAME)` expands only variables defined before it: define each secret used, first.
  const defined = new Set(s.environment.map((e) => e.name));
  const refs = [...used].filter((n) => !defined.has(n)).sort().map((n): IEnvVar => ({ name: n, valueFrom: { secretKeyRef: { name: ctx.secret!, key: n } } }));
  if (refs.length + env.length) container.env = [...refs, ...env];
  const ef = envFrom(ctx);
  if (ef) container.envFrom = ef;
  const ports = uniquePorts(s.ports);
  if (ports.length) container.ports = ports.map((p) => ({ name: portName(p.protocol, p.container), containerPort: p.container, protocol: p.protocol }));
  const res = resourcesFor(s.memoryMiB ?? memShare, s.millicores ?? cpuShare);
  if (res) container.resources = res;
  const { volumes, mounts, usesClaim } = volumesFor(ctx, s);
  if (mounts.length) container.volumeMounts = mounts;
  if (s.healthcheck) {
    const h = s.healthcheck;
    container.readinessProbe = compact({
      exec: { command: h.exec },
      periodSeconds: h.intervalSeconds,
      timeoutSeconds: h.timeoutSeconds,
      failureThreshold: h.retries,
      initialDelaySeconds: h.startPeriodSeconds,
    });
  }
  const podSpec: IPodSpec = { containers: [container] };
  if (volumes.length) podSpec.volumes = volumes;
  const spec: IDeploymentSpec = {
    replicas: s.replicas ?? 1,
    selector: { matchLabels: selectorLabels(ctx, s.name) },
    // A ReadWriteOnce claim cannot attach to the old and the new pod at once: replace, do not roll.
    ...(usesClaim ? { strategy: { type: "Recreate" } } : {}),
    template: { metadata: podMeta(ctx, s.name), spec: podSpec },
  };
  const dep: Manifest = { apiVersion: "apps/v1", kind: "Deployment", metadata: meta(ctx, svcName), spec };
  add(ctx, "k8s.deployment", s.name, dep, at);
  if (ports.length) {
    add(ctx, "k8s.service", s.name, { apiVersion: "v1", kind: "Service", metadata: meta(ctx, svcName), spec: serviceSpec(ctx, s.name, ports) }, at);
    forwards(ctx, svcName, s.ports, `services.${s.name}.ports`);
  }
}

export function serviceSpec(ctx: BuildCtx, service: string, ports: readonly ComposePort[]): IServiceSpec {
  return {
    type: "ClusterIP",
    selector: selectorLabels(ctx, service),
    ports: ports.map((p) => ({ name: portName(p.protocol, p.container), port: p.container, targetPort: p.container, protocol: p.protocol })),
  };
}

/** One entry per (port, protocol): compose may list the same container port twice. */
export function uniquePorts(ports: readonly ComposePort[]): ComposePort[] {
  const seen = new Set<string>();
  return ports.filter((p) => {
    const k = `${p.container}/${p.protocol}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Each port with a [sandbox.ports] variable forwards from the slot port. */
export function forwards(ctx: BuildCtx, service: string, ports: readonly ComposePort[], where: string): void {
  for (const p of ports) {
    if (p.variable === undefined) continue;
    const hostPort = ctx.input.ports[p.variable];
    if (hostPort === undefined) {
      ctx.diags.push(error(`Port variable \`${p.variable}' is not declared`, { ...(p.at ? { range: p.at } : {}), detail: `${where} uses \${${p.variable}}; add ${p.variable} = <base port> under [sandbox.ports] in infra.toml.` }));
      continue;
    }
    ctx.forwards.push({ variable: p.variable, hostPort, namespace: ctx.namespace, service, port: p.container });
  }
}

function volumesFor(ctx: BuildCtx, s: ComposeService): { volumes: IVolume[]; mounts: IVolumeMount[]; usesClaim: boolean } {
  const volumes: IVolume[] = [];
  const mounts: IVolumeMount[] = [];
  let usesClaim = false;
  s.volumes.forEach((v, i) => {
    const loc = v.at ? { range: v.at } : {};
    if (v.type === "bind") {
      ctx.diags.push(warning("Bind mount skipped on Kubernetes", { ...loc, detail: `services.${s.name}.volumes mounts \`${v.source}' from your machine, which the cluster cannot see. Bake the files into the image or use a named volume.` }));
      return;
    }
    const name = v.type === "named" ? deriveName(`vol-${v.source}`) : `${v.type === "tmpfs" ? "tmpfs" : "anon"}-${i}`;
    if (!volumes.some((x) => x.name === name)) {
      if (v.type === "named" && ctx.input.persist) {
        volumes.push({ name, persistentVolumeClaim: { claimName: objectName(ctx, v.source!, "dns1123-subdomain") } });
        usesClaim = true;
      } else volumes.push(v.type === "tmpfs" ? { name, emptyDir: { medium: "Memory" } } : { name, emptyDir: {} });
    }
    mounts.push(compact({ name, mountPath: v.target, readOnly: v.readOnly ? true : undefined }));
  });
  return { volumes, mounts, usesClaim };
}

/** Interpolate where the kubelet does not expand: a secret here would put its value in the manifest. */
function plain(ctx: BuildCtx, text: string, where: string, at?: SourceRange): string {
  const e = expandCompose(text, ctx.scope, false);
  report(ctx, e.problem, e.missing, where, at);
  if (e.secrets.length)
    ctx.diags.push(error("Secret used where Kubernetes cannot hide it", { ...(at ? { range: at } : {}), detail: `${where} refers to ${e.secrets.join(", ")}. Secrets may appear only in environment values, command and entrypoint, where they are read from the Secret at start.` }));
  return e.text;
}

/** Interpolate env values, command and args; secrets become `$(NAME)` from the Secret. */
function kubeText(ctx: BuildCtx, text: string, where: string, used: Set<string>, at?: SourceRange): string {
  const e = expandCompose(text, ctx.scope, true);
  report(ctx, e.problem, e.missing, where, at);
  for (const n of e.secrets) used.add(n);
  return e.text;
}

function report(ctx: BuildCtx, problem: string | undefined, missing: string[], where: string, at?: SourceRange): void {
  const loc = at ? { range: at } : {};
  if (problem) ctx.diags.push(error("Bad interpolation", { ...loc, detail: `In \`${where}': ${problem}.` }));
  for (const m of missing) ctx.diags.push(warning(`Variable \`${m}' is not set`, { ...loc, detail: `${where} uses \${${m}}, which is neither in [sandbox.env], [sandbox.ports] nor [sandbox.secrets]; it becomes an empty string, as in compose. Declare it or give a default: \${${m}:-value}.` }));
}
