// Durations as users write them (30s, 5m, 8h, 2d), parsed by the `ms` package.

import ms from "ms";

/** Milliseconds, or undefined when the text is not a positive duration. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d+(\.\d+)?\s*(ms|s|m|h|d)?$/.test(t)) return undefined;
  const v = /^\d+(\.\d+)?$/.test(t) ? Number(t) * 1000 : ms(t as ms.StringValue);
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? v : undefined;
}

/** "2h 5m", "45s": what is left until a time. */
export function timeLeft(untilIso: string, now = Date.now()): string {
  const left = Date.parse(untilIso) - now;
  if (left <= 0) return "expired";
  return ms(left, { long: false });
}
