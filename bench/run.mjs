// sbx benchmark: cold start, N managed files against Terraform, compose against plain
// docker-compose, and a CPU profile; writes bench/RESULTS.md. Flags: bench/README.md
// or `node bench/run.mjs --help`.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cleanupAll, installSignalHandlers, onCleanup } from "./lib/cleanup.mjs";
import { coldStart } from "./lib/cold.mjs";
import { composeSection, composeUnavailable } from "./lib/compose.mjs";
import { filesSection } from "./lib/files.mjs";
import { machine } from "./lib/machine.mjs";
import { available } from "./lib/proc.mjs";
import { profileSection } from "./lib/profile-section.mjs";
import { render } from "./lib/report.mjs";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const HELP = `Usage: node bench/run.mjs [flags]      (npm run bench -- [flags] builds first)

  --only LIST          parts to run, comma-separated: cold,files,compose,profile (default: all)
  --sizes LIST         N for the files part (default 10,100,1000)
  --full               also N = 10,000 (sbx only unless --terraform-max is raised)
  --reps K             repetitions per files step (default: 5 for N <= 100, 3 for 1,000, 1 for 10,000)
  --cold-reps K        cold-start runs per command (default 20, after 3 warm-ups)
  --compose-reps K     compose apply/destroy pairs per side (default 5)
  --terraform-max N    largest N run against Terraform (default 1000; Terraform's apply
                       and destroy grow quadratically, 10,000 takes tens of minutes)
  --no-terraform       sbx only
  --no-compose         skip the compose part
  --no-profile         skip the CPU profile
  --timeout S          deadline per command, seconds (default 600)
  --sbx PATH           bundle to measure (default dist/sbx.mjs)
  --out FILE           where to write the report (default bench/RESULTS.md)
  --no-write           print the report instead of writing it
  --keep               keep the temp dir (logs, .cpuprofile files); sandboxes and containers are still removed
  --keep-env           keep NODE_EXTRA_CA_CERTS in the children's env (removed by default)
  -h, --help`;

const { values: f } = parseArgs({
  options: {
    only: { type: "string" },
    sizes: { type: "string" },
    full: { type: "boolean" },
    reps: { type: "string" },
    "cold-reps": { type: "string" },
    "compose-reps": { type: "string" },
    "terraform-max": { type: "string" },
    "no-terraform": { type: "boolean" },
    "no-compose": { type: "boolean" },
    "no-profile": { type: "boolean" },
    timeout: { type: "string" },
    sbx: { type: "string" },
    out: { type: "string" },
    "no-write": { type: "boolean" },
    keep: { type: "boolean" },
    "keep-env": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
});
if (f.help) {
  console.log(HELP);
  process.exit(0);
}

function int(v, name, dflt) {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`bench: ${name} must be a positive integer, got ${v}`);
    process.exit(2);
  }
  return n;
}

const parts = new Set((f.only ?? "cold,files,compose,profile").split(",").map((s) => s.trim()));
if (f["no-compose"]) parts.delete("compose");
if (f["no-profile"]) parts.delete("profile");
const sizes = (f.sizes ?? "10,100,1000").split(",").map((s) => int(s, "--sizes", 0));
if (f.full && !sizes.includes(10000)) sizes.push(10000);
const opts = {
  coldReps: int(f["cold-reps"], "--cold-reps", 20),
  warmup: 3,
  composeReps: int(f["compose-reps"], "--compose-reps", 5),
  tfMax: int(f["terraform-max"], "--terraform-max", 1000),
  timeoutMs: int(f.timeout, "--timeout", 600) * 1000,
  repsFor: (n) => int(f.reps, "--reps", n <= 100 ? 5 : n <= 1000 ? 3 : 1),
};
const sbx = path.resolve(f.sbx ?? path.join(REPO, "dist", "sbx.mjs"));
if (!fs.existsSync(sbx)) {
  console.error(`bench: ${sbx} does not exist; run \`npm run build\` (npm run bench does).`);
  process.exit(1);
}

// The children's env: no colour, no npm_* from `npm run`, Terraform quiet and offline-safe.
const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "sbx-bench-")));
const logs = path.join(root, "logs");
fs.mkdirSync(logs);
const tfrc = path.join(root, "terraformrc");
fs.writeFileSync(tfrc, "");
const env = {};
for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && !["FORCE_COLOR", "SBX_HOME", "COMPOSE_PROJECT_NAME", "COMPOSE_FILE"].includes(k)) env[k] = v;
const strippedCa = !f["keep-env"] && env.NODE_EXTRA_CA_CERTS !== undefined;
if (strippedCa) delete env.NODE_EXTRA_CA_CERTS;
Object.assign(env, { NO_COLOR: "1", CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: tfrc, TF_PLUGIN_CACHE_DIR: path.join(root, "tf-plugin-cache"), TF_IN_AUTOMATION: "1" });
fs.mkdirSync(env.TF_PLUGIN_CACHE_DIR);
const ctx = { sbx, env, root, logs, repoRoot: REPO, timeoutMs: opts.timeoutMs };

installSignalHandlers();
onCleanup("remove the temp dir", () => {
  if (f.keep) console.error(`bench: kept ${root}`);
  else fs.rmSync(root, { recursive: true, force: true });
});

const haveTerraform = !f["no-terraform"] && available("terraform", ["version"]);
const result = { machine: machine({ root: REPO, strippedCa }), cold: undefined, files: [], compose: undefined, composeSkipped: "", profile: undefined, opts };
const step = (what) => process.stderr.write(`\nbench: ${what} `);
let failed = false;
try {
  if (parts.has("cold")) {
    step(`cold start (${opts.coldReps} runs)`);
    result.cold = await coldStart({ ...ctx, reps: opts.coldReps, warmup: opts.warmup, haveTerraform });
  }
  if (parts.has("files")) {
    for (const n of sizes) {
      const withTerraform = haveTerraform && n <= opts.tfMax;
      step(`files N=${n} (${opts.repsFor(n)} runs${withTerraform ? ", with Terraform" : ""})`);
      const r = await filesSection(ctx, n, { reps: opts.repsFor(n), withTerraform });
      r.tfSkipped = withTerraform ? "" : "not run";
      result.files.push(r);
    }
    if (!haveTerraform) opts.tfNote = f["no-terraform"] ? "Terraform was left out (`--no-terraform`)." : "Terraform is not on PATH here, so only sbx was measured.";
    else if (sizes.some((n) => n > opts.tfMax))
      opts.tfNote = `Terraform was not run above N = ${opts.tfMax.toLocaleString("en")}: its apply and destroy grow quadratically (reference/terraform-notes.md §3: 8.5 s at 1,000 and 30 s at 2,000 for apply), so 10,000 would take tens of minutes. \`--terraform-max 10000\` runs it anyway.`;
  }
  if (parts.has("compose")) {
    const why = composeUnavailable();
    if (why) result.composeSkipped = why;
    else {
      step(`compose (${opts.composeReps} runs per side)`);
      result.compose = await composeSection(ctx, { reps: opts.composeReps });
    }
  } else result.composeSkipped = "not selected (`--only`/`--no-compose`)";
  if (parts.has("profile")) {
    step("CPU profiles");
    result.profile = await profileSection(ctx);
  }
} catch (e) {
  failed = true;
  console.error(`\nbench: FAILED: ${e.stack ?? e.message}`);
} finally {
  const bad = await cleanupAll();
  if (bad) failed = true;
}
process.stderr.write("\n");
result.machine.loadEnd = os.loadavg().map((x) => x.toFixed(2)).join(" ");
const text = render(result);
if (failed) {
  console.log(text);
  console.error("bench: not writing the report because a part failed (see above).");
  process.exit(1);
}
if (f["no-write"]) console.log(text);
else {
  const out = path.resolve(f.out ?? path.join(REPO, "bench", "RESULTS.md"));
  fs.writeFileSync(out, text);
  console.log(text);
  console.error(`bench: wrote ${path.relative(process.cwd(), out) || out}`);
}
