// The agent (agent.toml, backend = "kubernetes") → one Pod with the workspace volume.

import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { IVolume } from "kubernetes-models/v1/Volume";
import { error } from "../diagnostics.js";
import { forwards, resourcesFor, serviceSpec, uniquePorts } from "./compose-workload.js";
import { portName } from "./names.js";
import { add, claim, envFrom, meta, objectName, podMeta, pvc, type BuildCtx } from "./objects.js";
import type { AgentWorkload, Manifest } from "./types.js";

const AGENT = "agent";

export function buildAgent(ctx: BuildCtx, w: AgentWorkload): void {
  const { input, diags } = ctx;
  if (w.image.trim() === "") {
    diags.push(error("The agent has no image", { ...(w.imageAt ? { range: w.imageAt } : {}), detail: "Set backend.kubernetes.image in agent.toml to an image the cluster can pull." }));
    return;
  }
  if (!w.workspace.startsWith("/")) diags.push(error("Invalid workspace path", { detail: `backend.kubernetes.workspace \`${w.workspace}' must be an absolute path.` }));
  const podName = objectName(ctx, AGENT, "dns1123-subdomain");
  const volumeName = "workspace";
  let volume: IVolume = { name: volumeName, emptyDir: {} };
  if (input.persist) {
    const claimName = objectName(ctx, "workspace", "dns1123-subdomain");
    if (claim(ctx, "PersistentVolumeClaim", claimName, "workspace")) add(ctx, "k8s.pvc", "workspace", pvc(ctx, claimName, "workspace"));
    volume = { name: volumeName, persistentVolumeClaim: { claimName } };
  }
  const container: IContainer = { name: AGENT, image: w.image };
  if (w.command?.length) container.command = [...w.command];
  const ef = envFrom(ctx);
  if (ef) container.envFrom = ef;
  const ports = uniquePorts(w.ports ?? []);
  if (ports.length) container.ports = ports.map((p) => ({ name: portName(p.protocol, p.container), containerPort: p.container, protocol: p.protocol }));
  const res = resourcesFor(input.memoryMiB, input.vcpus !== undefined ? input.vcpus * 1000 : undefined);
  if (res) container.resources = res;
  container.volumeMounts = [{ name: volumeName, mountPath: w.workspace }];
  container.workingDir = w.workspace;
  const pm = podMeta(ctx, AGENT);
  const spec: IPodSpec = { restartPolicy: "Always", containers: [container], volumes: [volume] };
  const pod: Manifest = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { ...meta(ctx, podName), labels: pm.labels, ...(pm.annotations ? { annotations: pm.annotations } : {}) },
    spec,
  };
  add(ctx, "k8s.pod", AGENT, pod, w.imageAt);
  if (ports.length) {
    const svcName = objectName(ctx, AGENT, "dns1035-label");
    add(ctx, "k8s.service", AGENT, { apiVersion: "v1", kind: "Service", metadata: meta(ctx, svcName), spec: serviceSpec(ctx, AGENT, ports) });
    forwards(ctx, svcName, ports, "agent ports");
  }
}
