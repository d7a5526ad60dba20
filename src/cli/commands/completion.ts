// `sbx completion SHELL`: print the completion script for bash, zsh or fish.

import type { Command } from "commander";
import { error } from "../../compile/diagnostics.js";
import { completionNodes, SHELLS, type Shell } from "../completion.js";
import { finish, out } from "../output.js";

export function completionCommand(program: Command, shell: string): void {
  if (!(shell in SHELLS))
    return finish([
      error(`No completion for the shell \`${shell}'`, {
        code: "usage",
        detail: "sbx completes bash, zsh and fish: source <(sbx completion bash), source <(sbx completion zsh), sbx completion fish | source.",
      }),
    ]);
  out(SHELLS[shell as Shell](completionNodes(program)));
}
