// Medians, ranges and the number formats the report uses.

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** {median, min, max, n} of a list of numbers (undefined entries are dropped). */
export function summary(xs) {
  const v = xs.filter((x) => typeof x === "number" && Number.isFinite(x));
  return { median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length };
}

/** 87 ms, 1.23 s, 12.3 s. */
export function fmtMs(ms) {
  if (!Number.isFinite(ms)) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${(ms / 1000).toFixed(1)} s`;
}

export function fmtRange(s) {
  if (s.n < 2) return "";
  if (s.max < 1000) return `${Math.round(s.min)}–${Math.round(s.max)} ms`;
  return `${fmtMs(s.min)}–${fmtMs(s.max)}`;
}

/** Peak RSS in MB from kilobytes (the max over repetitions). */
export function fmtRss(kbs) {
  const v = kbs.filter((x) => typeof x === "number");
  return v.length ? `${Math.round(Math.max(...v) / 1024)} MB` : "n/a";
}

/** 8.4× */
export function fmtRatio(r) {
  if (!Number.isFinite(r)) return "–";
  return r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(2)}×`;
}
