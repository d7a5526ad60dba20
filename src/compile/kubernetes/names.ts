// Kubernetes names, label values and quantities: validate what users choose, derive what sbx chooses.

import { createHash } from "node:crypto";

/** RFC 1123 label: namespaces, container names (at most 63). */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1035 label: Service names (must start with a letter). */
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1123 subdomain: most object names (at most 253). */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Label values (at most 63, may be empty). */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** ConfigMap and Secret keys. */
const DATA_KEY = /^[-._a-zA-Z0-9]+$/;

export type NameRule = "dns1123-label" | "dns1035-label" | "dns1123-subdomain";

const RULES: Record<NameRule, { re: RegExp; max: number; says: string }> = {
  "dns1123-label": { re: DNS1123_LABEL, max: 63, says: "at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit" },
  "dns1035-label": { re: DNS1035_LABEL, max: 63, says: "at most 63 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit" },
  "dns1123-subdomain": { re: DNS1123_SUBDOMAIN, max: 253, says: "at most 253 lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit" },
};

/** Undefined when `name` is valid, else what a valid name looks like. */
export function checkName(name: string, rule: NameRule): string | undefined {
  const r = RULES[rule];
  return name.length <= r.max && r.re.test(name) ? undefined : r.says;
}

export function isLabelValue(v: string): boolean {
  return v.length <= 63 && LABEL_VALUE.test(v);
}

export function isDataKey(k: string): boolean {
  return k.length <= 253 && DATA_KEY.test(k);
}

function shortHash(text: string, n = 6): string {
  return createHash("sha256").update(text).digest("hex").slice(0, n);
}

/**
 * A valid name derived from any text: lowercased, other characters become '-', trimmed,
 * and cut to `max` with a hash of the original appended so distinct inputs stay distinct.
 */
export function deriveName(text: string, rule: NameRule = "dns1123-label", max = RULES[rule].max): string {
  let s = text.toLowerCase().replace(rule === "dns1123-subdomain" ? /[^a-z0-9.-]+/g : /[^a-z0-9-]+/g, "-");
  s = s.replace(/-+/g, "-").replace(/^[-.]+|[-.]+$/g, "");
  if (rule === "dns1035-label" && !/^[a-z]/.test(s)) s = `s-${s}`.replace(/-+$/, "");
  if (s === "" || s === "s") s = `x-${shortHash(text)}`;
  if (s.length > max) s = `${s.slice(0, max - 7).replace(/[-.]+$/, "")}-${shortHash(text)}`;
  return s;
}

/** A label value for any text (instance ids, project names): kept when valid, else derived. */
export function labelValue(text: string): string {
  if (isLabelValue(text)) return text;
  let s = text.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
  if (s.length > 63 || s !== text) s = `${s.slice(0, 56).replace(/[^A-Za-z0-9]+$/, "")}-${shortHash(text)}`.replace(/^-/, "");
  return s;
}

/** A Service/container port name (IANA_SVC_NAME: at most 15, a letter required, no '--'). */
export function portName(protocol: "TCP" | "UDP", port: number): string {
  return `${protocol.toLowerCase()}-${port}`;
}

/** Memory in MiB as the API server writes it back (2048Mi is stored as 2Gi). */
export function memoryQuantity(mib: number): string {
  return mib % 1024 === 0 ? `${mib / 1024}Gi` : `${mib}Mi`;
}

/** CPU in millicores as the API server writes it back (1000m is stored as 1). */
export function cpuQuantity(millicores: number): string {
  return millicores % 1000 === 0 ? `${millicores / 1000}` : `${millicores}m`;
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** The number a quantity stands for (bytes, cores); undefined when it is not a quantity. */
export function parseQuantity(q: string | number): number | undefined {
  if (typeof q === "number") return q;
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/.exec(q.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const suf = m[2] ?? "";
  if (suf in BINARY) return n * BINARY[suf]!;
  if (/^[eE]/.test(suf)) return n * 10 ** Number(suf.slice(1));
  return n * DECIMAL[suf]!;
}
