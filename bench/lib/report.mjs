// Renders bench results as bench/RESULTS.md: machine, method, then one table per part.

import * as fs from "node:fs";
import { OPS } from "./files.mjs";
import { fmtMs, fmtRange, fmtRatio, fmtRss, summary } from "./stats.mjs";

const OP_LABEL = { plan: "plan (empty state, N to add)", apply: "apply (create N)", noop: "plan, no changes", destroy: "destroy (N)" };
// Issue #14's targets, as "Terraform median / sbx median" at N = 1,000.
const FILE_TARGETS = { noop: 8, apply: 15, destroy: 30 };

const ms = (runs) => summary(runs.map((r) => r.ms));
const rss = (runs) => fmtRss(runs.map((r) => r.rssKb));
const met = (ok) => (ok ? "met" : "**not met**");

/** A Markdown table; columns whose cells are all numbers (or empty) are right-aligned. */
function table(head, rows) {
  const numeric = head.map((_, i) => {
    const cells = rows.map((r) => r[i]).filter((c) => c !== "" && c !== undefined);
    return cells.length > 0 && cells.every((c) => /^(\+?\d|–$|n\/a$)/.test(c));
  });
  return [`| ${head.join(" | ")} |`, `|${numeric.map((n) => (n ? "---:" : "---")).join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

/** y = a + b·x by least squares over [x, y] points. */
function linearFit(points) {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const b = sxx ? sxy / sxx : 0;
  return { a: my - b * mx, b };
}

function busyWarning(m) {
  const load = Math.max(...[m.loadStart, m.loadEnd].map((l) => Number(l.split(" ")[0])));
  if (!(load > m.cores)) return [];
  return [
    "",
    `> **The machine was busy**: 1-minute load average up to ${load.toFixed(1)} on ${m.cores} cores while this ran (other work on the same host). Absolute times are inflated and noisy (see the min–max ranges); the ratios, measured interleaved under the same load, are the figures to compare. Re-run on a quiet machine for absolute numbers.`,
  ];
}

function machineSection(m) {
  return [
    "## Machine",
    "",
    table(
      ["", ""],
      [
        ["Date", m.date],
        ["CPU", m.cpu],
        ["Memory", m.memory],
        ["OS", m.os],
        ["Node", m.node],
        ["Terraform", m.terraform],
        ["Docker", m.docker],
        ["Peak RSS from", m.gnuTime],
        ["Load average (1/5/15 min) at start → end", `${m.loadStart} → ${m.loadEnd}`],
        ["Code measured", `dist/sbx.mjs built from ${m.code}`],
        ["Environment", m.strippedCa ? "`NODE_EXTRA_CA_CERTS` is set on this machine and was removed from every child's env (it adds ~40 ms to every Node start; users do not have it). `--keep-env` keeps it." : "children get this shell's env unchanged"],
      ],
    ),
    ...busyWarning(m),
  ].join("\n");
}

function coldSection(cold, opts) {
  if (!cold) return "## Cold start\n\nNot run (`--only` left it out).";
  const node = ms(cold.commands.find((c) => c.key === "node").runs).median;
  const rows = cold.commands.map((c) => {
    const s = ms(c.runs);
    const d = Math.round(s.median - node);
    const vs = c.key === "node" ? "baseline" : `${d >= 0 ? "+" : "−"}${Math.abs(d)} ms (${fmtRatio(s.median / node)})`;
    return [c.label, fmtMs(s.median), fmtRange(s), vs, rss(c.runs)];
  });
  const version = ms(cold.commands.find((c) => c.key === "version").runs).median;
  return [
    "## Cold start",
    "",
    `${opts.coldReps} runs each after ${opts.warmup} warm-up runs, interleaved (node, sbx --version, sbx plan, …). The quickstart (examples/quickstart: two local node services) was applied once before, so its plan is a no-op that still reads state and probes both services.`,
    "",
    table(["command", "median", "min–max", "vs `node -e 0`", "peak RSS"], rows),
    "",
    `Target (#14): \`sbx --version\` within 40 ms of \`node -e 0\`: +${Math.round(version - node)} ms, ${met(version - node <= 40)}.`,
  ].join("\n");
}

function filesSection(files, opts) {
  if (!files.length) return "## Managed files: sbx vs Terraform\n\nNot run (`--only` left it out).";
  const out = [
    "## Managed files: sbx vs Terraform",
    "",
    "What each side does, for N = " + files.map((f) => f.n.toLocaleString("en")).join(", ") + ":",
    "",
    "- **sbx**: a real git repository with N files `seed/fNNNNN.txt` (~60 bytes each) and a worktree; the worktree's `infra.toml` has N `[sandbox.files]` entries `\"out/fNNNNN.txt\" = \"seed/fNNNNN.txt\"` (process backend, no services). `sbx plan` compiles and diffs against empty state (N + 2 to add: the files, `slot.this`, `file.env_sandbox`). `sbx apply --auto-approve` claims a slot and **copies the N files** into the worktree (hashing each), journals and snapshots state. The no-op `sbx plan` re-reads state and **hashes every copied file and its source** to detect drift. `sbx destroy --auto-approve` checks each file's hash, deletes it and releases the slot. Each run has its own `SBX_HOME`.",
    "- **Terraform**: `resource \"terraform_data\" \"file\" { count = N, input = format(\"seed/f%05d.txt\", count.index) }`, `terraform init` once (built-in provider, offline), then `terraform plan`, `apply -auto-approve`, `plan` (no changes; refresh on, the default) and `destroy -auto-approve`, all `-no-color -input=false`. **terraform_data writes nothing**: Terraform only records N objects in its state file. Both sides use their default parallelism (10).",
    "- Per repetition each side runs its four steps in order; the side that goes first alternates. Output goes to a log file (not a terminal) for both. Each step's result is checked (files present/absent, \"No changes\", Terraform's resource counts).",
    "",
  ];
  const rows = [];
  for (const f of files) {
    for (const op of OPS) {
      const s = ms(f.sbx[op]);
      const t = f.terraform ? ms(f.terraform[op]) : undefined;
      const ratio = t ? t.median / s.median : NaN;
      const target = FILE_TARGETS[op] && f.n === 1000 && t ? `≥ ${FILE_TARGETS[op]}×: ${met(ratio >= FILE_TARGETS[op])}` : "";
      rows.push([
        f.n.toLocaleString("en"),
        OP_LABEL[op],
        `${fmtMs(s.median)}`,
        t ? fmtMs(t.median) : f.tfSkipped,
        t ? fmtRatio(ratio) : "–",
        target,
        rss(f.sbx[op]),
        t ? rss(f.terraform[op]) : "–",
        String(f.reps),
      ]);
    }
  }
  out.push(table(["N", "operation", "sbx median", "terraform median", "ratio (tf / sbx)", "target (#14, N=1,000)", "sbx peak RSS", "tf peak RSS", "runs"], rows));
  out.push("", "Ratios are Terraform's median divided by sbx's: above 1× sbx is faster. Peak RSS is the largest over the runs.");
  out.push("", "### sbx scaling (time per file)", "");
  out.push(
    table(
      ["N", "apply", "per file", "destroy", "per file", "no-op plan", "per file"],
      files.map((f) => {
        const [a, d, p] = ["apply", "destroy", "noop"].map((op) => ms(f.sbx[op]).median);
        const per = (x) => `${Math.round((x * 1000) / f.n)} µs`;
        return [f.n.toLocaleString("en"), fmtMs(a), per(a), fmtMs(d), per(d), fmtMs(p), per(p)];
      }),
    ),
  );
  if (files.length >= 2) {
    const fit = (op) => linearFit(files.map((f) => [f.n, ms(f.sbx[op]).median]));
    const show = (op, label) => {
      const { a, b } = fit(op);
      return `${label} ≈ ${fmtMs(a)} + ${b >= 1 ? `${b.toFixed(2)} ms` : `${Math.round(b * 1000)} µs`} × N`;
    };
    out.push("", `Least-squares fit over the sizes run (fixed cost + cost per file): ${show("apply", "apply")}; ${show("destroy", "destroy")}; ${show("noop", "no-op plan")}.`);
  }
  const big = files.find((f) => f.n === 10000);
  out.push(
    "",
    big
      ? `Target (#14): 10,000 files, apply and destroy each under 4 s: apply ${fmtMs(ms(big.sbx.apply).median)} (${met(ms(big.sbx.apply).median < 4000)}), destroy ${fmtMs(ms(big.sbx.destroy).median)} (${met(ms(big.sbx.destroy).median < 4000)}).`
      : "N = 10,000 was not run (pass `--full`).",
  );
  if (opts.tfNote) out.push("", opts.tfNote);
  return out.join("\n");
}

function composeSection(c, skipped) {
  if (!c) return `## Compose: sbx vs plain docker-compose\n\nSkipped: ${skipped}.`;
  const p = c.project;
  const rows = ["apply", "destroy"].map((op) => {
    const s = ms(c.samples.sbx[op]);
    const d = ms(c.samples.compose[op]);
    const ratio = s.median / d.median;
    return [
      op === "apply" ? "`sbx apply` vs `up -d`" : "`sbx destroy` vs `down`",
      fmtMs(s.median),
      fmtRange(s),
      fmtMs(d.median),
      fmtRange(d),
      fmtRatio(ratio),
      op === "apply" ? `≤ 1.15×: ${met(ratio <= 1.15)}` : "",
      rss(c.samples.sbx[op]),
      rss(c.samples.compose[op]),
    ];
  });
  return [
    "## Compose: sbx vs plain docker-compose",
    "",
    `A seed-style project: one \`web\` service (\`sbx-busybox:test\` running busybox \`httpd\`, \`init: true\` so it stops on SIGTERM), its host port from \`\${WEB_PORT:-8080}\`, an env var, a secret (literal reference), \`config/app.env\` provisioned from the main repository and used as the service's \`env_file\`, and an HTTP health check on \`/\`. ${c.reps} run${c.reps === 1 ? "" : "s"} per side, alternating which goes first.`,
    "",
    `- **sbx**: \`sbx apply --auto-approve\` in a git worktree: claims a slot, copies the file, writes \`.env.sandbox\`, \`.env.secrets\`, a copy of the compose file and an override (labels, env files), runs \`${c.cli} -p <project>-slot-N -f docker-compose.yml -f <override> --env-file .env.sandbox up -d --remove-orphans\`, lists the containers, then runs the health gate. \`sbx destroy --auto-approve\` runs \`down --volumes --remove-orphans -t 5\`, removes anything still labelled with the project, deletes the files and releases the slot.`,
    `- **plain**: \`${c.cli} -p ${c.plainProject} -f docker-compose.yml --env-file plain.env up -d\`, then \`down\`, in a directory holding the same compose file, the provisioned file already in place and a hand-written env file. It does not wait for health.`,
    "- Between apply and destroy the bench checks (untimed) that the port answers. Times are the client side; what dockerd and containerd do is not in the peak RSS of either side.",
    "",
    table(["operation", "sbx median", "sbx min–max", "compose median", "compose min–max", "ratio (sbx / compose)", "target (#14)", "sbx peak RSS", "compose peak RSS"], rows),
    "",
    `For reference, one start of the compose client alone (\`${c.cli} version\`): median ${fmtMs(ms(c.samples.clientStart).median)}${c.reps > 1 ? ` (${fmtRange(ms(c.samples.clientStart))})` : ""}: each extra run of the compose client in a workflow costs about that much.`,
    "",
    "Ratios here are sbx's median divided by plain compose's: 1× means no overhead. sbx's peak RSS is the largest single process in its tree (node, or the compose client it runs).",
  ].join("\n");
}

function profileSection(prof) {
  if (!prof) return "## Where the time goes\n\nNot run (`--only` left it out, or `--no-profile`).";
  const out = ["## Where the time goes", ""];
  out.push(
    `V8 CPU profiles (\`node --cpu-prof --cpu-prof-interval ${prof.intervalUs}\`), self time averaged over the runs and attributed to the bundled module a function sits in (esbuild marks each module's start in \`dist/sbx.mjs\` and its chunks). Profiling itself slows the process down, so read the shares rather than the absolute sum. Reproduce with \`node bench/run.mjs --only profile\`; the raw \`.cpuprofile\` files are kept with \`--keep\`.`,
  );
  for (const p of prof.items) {
    out.push("", `### ${p.title}`, "", `Wall time while profiled: median ${fmtMs(summary(p.walls).median)} over ${p.runs} runs; sampled self time ${fmtMs(p.totalMs)}.`, "");
    out.push(table(["where (package, module or V8 bucket)", "self ms"], p.packages.slice(0, 12).map((x) => [x.name, x.ms.toFixed(1)])));
    out.push("", table(["function — location", "self ms"], p.functions.slice(0, 12).map((x) => [x.name.replace(/\|/g, "\\|"), x.ms.toFixed(1)])));
  }
  out.push("", "### What every start parses", "", `\`dist/sbx.mjs\`, the entry, is ${(prof.bundleTotal / 1024).toFixed(0)} KB: every invocation, \`--version\` included, compiles and evaluates it. A command's own code and the libraries it needs are chunks (\`dist/chunks/\`) imported when that command runs. Bytes per package in the entry:`, "");
  out.push(table(["package", "KB"], prof.bytes.slice(0, 12).map((b) => [b.name, (b.bytes / 1024).toFixed(0)])));
  if (prof.notes.length) out.push("", ...prof.notes.map((n) => `- ${n}`));
  return out.join("\n");
}

export function render({ machine, cold, files, compose, composeSkipped, profile, opts }) {
  return [
    "# sbx benchmark results",
    "",
    "Written by `npm run bench` (`bench/run.mjs`); do not edit by hand. Every figure is the median of repeated runs of the command as a user runs it (a child process, wall time from spawn to exit), side by side in one run, as ratios of medians. See bench/README.md for the flags.",
    "",
    machineSection(machine),
    "",
    coldSection(cold, opts),
    "",
    filesSection(files, opts),
    "",
    composeSection(compose, composeSkipped),
    "",
    profileSection(profile),
    "",
    analysisSection(),
  ].join("\n");
}

/** The hand-written reading of the targets (bench/ANALYSIS.md), kept with every report. */
function analysisSection() {
  const file = new URL("../ANALYSIS.md", import.meta.url);
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
}
