// Examples shown at the end of each command's --help: the commands people actually type.

import type { Command } from "commander";

const EXAMPLES: Record<string, string[]> = {
  "": [
    "sbx plan                      # what apply would change",
    "sbx apply                     # converge this worktree's sandbox",
    "sbx -C ../app-feature status  # another worktree's sandbox",
    "sbx destroy                   # remove what this sandbox owns",
  ],
  plan: [
    "sbx plan",
    "sbx plan --concise",
    "sbx plan -out tfplan && sbx apply tfplan",
    "sbx plan --markdown > plan.md      # a PR comment",
    "sbx plan --json | jq .summary",
    "sbx plan --detailed-exitcode       # 0 no changes, 2 changes, 1 error",
    "sbx plan --target process.api",
    "sbx plan --destroy",
  ],
  apply: [
    "sbx apply",
    "sbx apply --auto-approve",
    "sbx apply tfplan                   # exactly a saved plan",
    "sbx apply --slot 0                 # the standard ports",
    "sbx apply --build --timeout 5m",
    "sbx apply --profile agent-dev --input model=fast",
  ],
  destroy: ["sbx destroy", "sbx destroy --auto-approve", "sbx destroy --force               # also copied files edited since", "sbx destroy --target process.web"],
  stop: ["sbx stop && sbx start"],
  start: ["sbx start", "sbx start --no-wait"],
  worktree: ["sbx worktree add login-page", "sbx worktree list", "sbx worktree done login-page"],
  "worktree add": ["sbx worktree add login-page", "sbx worktree add hotfix --base origin/release"],
  "worktree list": ["sbx worktree list", "sbx worktree list --json"],
  "worktree done": ["sbx worktree done login-page", "sbx worktree done spike --force"],
  status: ["sbx status", "sbx status --json | jq .ports"],
  list: ["sbx list", "sbx list --json"],
  env: ['eval "$(sbx env)"', "sbx env --format dotenv > .env.local", "sbx env --format json"],
  logs: ["sbx logs", "sbx logs api -f", "sbx logs web -n 20"],
  ssh: ["sbx ssh", "sbx ssh -- -L 8080:localhost:8080"],
  exec: ["sbx exec -- git status", "sbx exec -- npm test"],
  init: ["sbx init --dry-run", "sbx init --yes --health-endpoint /healthz", "sbx init --check"],
  validate: ["sbx validate", "sbx --set sandbox.backend=compose validate"],
  explain: ["sbx explain sandbox.ports", "sbx explain sandbox.env.API_URL", "sbx explain sandbox.secrets   # references, never values"],
  compile: ["sbx compile", "sbx compile --slot 3 --out build/sbx"],
  diff: ["sbx diff --base origin/main", "sbx diff --base HEAD~1 --markdown"],
  show: ["sbx show tfplan", "sbx show tfplan --json"],
  gc: ["sbx gc", "sbx gc --json"],
  snapshot: ["sbx snapshot --name before-migration", "sbx snapshot --json"],
  snapshots: ["sbx snapshots list", "sbx snapshots show before-migration"],
  "snapshots list": ["sbx snapshots list", "sbx snapshots list --json"],
  "snapshots show": ["sbx snapshots show before-migration"],
  restore: ["sbx restore before-migration", "sbx restore before-migration --into ../app-restored"],
  "extend-ttl": ["sbx extend-ttl 2h"],
  expire: ["sbx expire", "sbx expire --apply"],
  recreate: ["sbx recreate", "sbx recreate --auto-approve"],
  reachability: ["sbx reachability", "sbx reachability --json"],
  profiles: ["sbx profiles list", "sbx profiles show agent-dev"],
  "profiles list": ["sbx profiles list", "sbx profiles list --json"],
  "profiles show": ["sbx profiles show agent-dev", "sbx profiles show profile.agent-dev --json"],
  serve: ["sbx serve", "sbx serve --listen 127.0.0.1:9000 --reap-interval 30s"],
  completion: [
    "source <(sbx completion bash)",
    "sbx completion bash > ~/.local/share/bash-completion/completions/sbx",
    "source <(sbx completion zsh)",
    "sbx completion fish > ~/.config/fish/completions/sbx.fish",
  ],
};

function pathOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** Attach each command's examples to its --help; every command has some (a test checks). */
export function addExamples(program: Command): void {
  const visit = (c: Command) => {
    const examples = EXAMPLES[pathOf(c)];
    if (examples) c.addHelpText("after", `\nExamples:\n${examples.map((e) => `  ${e}`).join("\n")}\n`);
    c.commands.forEach(visit);
  };
  visit(program);
}

/** Command paths with no examples (for the test that keeps them complete). */
export function commandsWithoutExamples(program: Command): string[] {
  const missing: string[] = [];
  const visit = (c: Command) => {
    if (!EXAMPLES[pathOf(c)]) missing.push(pathOf(c) || "sbx");
    c.commands.forEach(visit);
  };
  visit(program);
  return missing;
}
