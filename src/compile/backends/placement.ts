// Where the profiles place the sandbox: the placement of the last profile that sets one
// (a profile is resolved after the profiles it extends, so the most specific one wins).

import type { ResolvedConfig } from "../config.js";
import type { Diagnostic, SourceRange } from "../diagnostics.js";
import { parsePlacement, type Placement } from "../placement.js";

export interface ProfilePlacement {
  placement?: Placement;
  at?: SourceRange;
  /** Which profile set it (for messages). */
  profile?: string;
  diags: Diagnostic[];
}

export function profilePlacement(config: ResolvedConfig): ProfilePlacement {
  const p = [...config.profiles].reverse().find((x) => x.placement !== undefined);
  if (!p) return { diags: [] };
  const at = p.placementAt ?? { file: p.file, start: { line: 1, col: 1 } };
  const r = parsePlacement(p.placement!, at);
  return { ...(r.value ? { placement: r.value } : {}), at, profile: p.id, diags: r.diags };
}
