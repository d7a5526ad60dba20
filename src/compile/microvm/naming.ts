// Names derived from project and slot only, so compile never asks the host: the VM name
// (`<project>-slot-<N>`), the interface id (at most 15 characters) and the MAC address.

import { createHash } from "node:crypto";

const HOST_NAME_MAX = 63;
export const INTERFACE_ID_MAX = 15;

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Six hex digits naming the project (shared by the interface id and the MAC). */
export function projectTag(project: string): string {
  return sha256(`sbx-microvm\0${project}`).slice(0, 6);
}

/**
 * `<project>-slot-<N>`, usable as NixOS networking.hostName (a DNS label: letters, digits,
 * `-` and `_`, alphanumeric at both ends, at most 63 characters) and as a systemd instance
 * name. When the project name had to change (`.` → `-`, trimmed, shortened), a short hash
 * of the original keeps two projects that map to the same label apart.
 */
export function vmName(project: string, slot: number): string {
  if (!Number.isSafeInteger(slot) || slot < 0) throw new Error(`bug: bad slot ${slot}`);
  const suffix = `-slot-${slot}`;
  let label = project
    .replace(/[^A-Za-z0-9_-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .replace(/[^A-Za-z0-9]+$/, "");
  const room = HOST_NAME_MAX - suffix.length;
  if (label !== project || label === "" || label.length > room) {
    const tag = projectTag(project).slice(0, 4);
    label = `${label.slice(0, room - tag.length - 1).replace(/[^A-Za-z0-9]+$/, "")}-${tag}`.replace(/^-/, "");
  }
  return `${label}${suffix}`;
}

/** `vm-<project tag>-<slot>`: 15 characters at most for slots up to 99999. */
export function interfaceId(project: string, slot: number): string {
  const id = `vm-${projectTag(project)}-${slot}`;
  if (id.length <= INTERFACE_ID_MAX) return id;
  return `vm${sha256(`sbx-microvm-if\0${project}\0${slot}`).slice(0, INTERFACE_ID_MAX - 2)}`;
}

/** `02:PP:PP:PP:SS:SS`: locally administered unicast, project tag then slot (mod 65536). */
export function macAddress(project: string, slot: number): string {
  const p = projectTag(project);
  const s = (slot % 65536).toString(16).padStart(4, "0");
  return ["02", p.slice(0, 2), p.slice(2, 4), p.slice(4, 6), s.slice(0, 2), s.slice(2, 4)].join(":");
}
