// `sbx completion bash|zsh|fish`: shell completion scripts generated from the command tree
// itself, so a new command or flag completes without anyone editing a script.

import type { Command, Option } from "commander";

/** One command as completion sees it: its path, words that may follow, flags that take a value. */
interface Node {
  path: string[];
  description: string;
  subcommands: { name: string; description: string }[];
  flags: {
    names: string[];
    description: string;
    takesValue: boolean;
    values?: string[];
  }[];
  /** The command takes a file or directory as an argument (apply PLANFILE, show PLANFILE). */
  fileArgument: boolean;
}

/** Flags whose value is a directory or a file, and flags whose values are a fixed list. */
const DIR_FLAGS = new Set(["--dir", "--into"]);
const FILE_FLAGS = new Set(["--out"]);
const FIXED_VALUES: Record<string, string[]> = {
  "--format": ["shell", "dotenv", "json"],
};

function flagOf(o: Option): Node["flags"][number] {
  const names = [o.short, o.long].filter((n): n is string => !!n);
  const long = o.long ?? "";
  return {
    names,
    description: o.description,
    takesValue: o.required || o.optional,
    ...(FIXED_VALUES[long] ? { values: FIXED_VALUES[long] } : {}),
  };
}

function walk(cmd: Command, path: string[], out: Node[], inherited: Node["flags"]): void {
  const own = cmd.options.filter((o) => !o.hidden).map(flagOf);
  const flags = [...own, ...inherited, { names: ["-h", "--help"], description: "show help", takesValue: false }];
  const subs = cmd.commands.filter((c) => !c.name().startsWith("_"));
  const args = cmd.registeredArguments.map((a) => a.name());
  out.push({
    path,
    description: cmd.description(),
    subcommands: subs.map((c) => ({
      name: c.name(),
      description: c.description(),
    })),
    flags,
    fileArgument: args.some((a) => /file|dir/.test(a)),
  });
  // Global options (-C, --set, --no-color) are accepted after any command too.
  const passDown = path.length === 0 ? own.filter((f) => !f.names.includes("--version")) : inherited;
  for (const c of subs) walk(c, [...path, c.name()], out, passDown);
}

export function completionNodes(program: Command): Node[] {
  const out: Node[] = [];
  walk(program, [], out, []);
  return out;
}

const shellWord = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function valueFlags(nodes: Node[]): string[] {
  return [...new Set(nodes.flatMap((n) => n.flags.filter((f) => f.takesValue).flatMap((f) => f.names)))].sort();
}

export function bashScript(nodes: Node[]): string {
  const cases = nodes
    .map((n) => {
      const words = [...n.subcommands.map((s) => s.name), ...n.flags.flatMap((f) => f.names)].join(" ");
      return `    ${shellWord(n.path.join(" "))}) words=${shellWord(words)}; subs=${shellWord(n.subcommands.map((s) => s.name).join(" "))}; files=${n.fileArgument ? 1 : 0} ;;`;
    })
    .join("\n");
  const fixed = Object.entries(FIXED_VALUES)
    .map(([flag, values]) => `    ${flag}) COMPREPLY=($(compgen -W ${shellWord(values.join(" "))} -- "$cur")); return ;;`)
    .join("\n");
  return `# bash completion for sbx. Load it with:  source <(sbx completion bash)
# or install it:  sbx completion bash > ~/.local/share/bash-completion/completions/sbx
_sbx_node() {
  # Sets words, subs and files for the command path in $1.
  case "$1" in
${cases}
    *) words=""; subs=""; files=1 ;;
  esac
}

_sbx() {
  local cur prev path="" i w words subs files
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  # The command path: the words so far that name a subcommand of the path before them.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) continue ;; esac
    case " ${valueFlags(nodes).join(" ")} " in *" \${COMP_WORDS[i-1]} "*) continue ;; esac
    _sbx_node "$path"
    case " $subs " in *" $w "*) path="\${path:+$path }$w" ;; esac
  done
  case "$prev" in
    ${[...DIR_FLAGS].join("|")}|-C) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    ${[...FILE_FLAGS].join("|")}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
${fixed}
  esac
  case " ${valueFlags(nodes)
    .filter((f) => !DIR_FLAGS.has(f) && !FILE_FLAGS.has(f) && !FIXED_VALUES[f] && f !== "-C")
    .join(" ")} " in *" $prev "*) COMPREPLY=(); return ;; esac
  _sbx_node "$path"
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
  if [[ $files == 1 && $cur != -* ]]; then COMPREPLY+=($(compgen -f -- "$cur")); fi
}
complete -o default -F _sbx sbx
`;
}

const zshWord = (s: string) => `'${s.replace(/'/g, `'\\''`).replace(/:/g, "\\:")}'`;

export function zshScript(nodes: Node[]): string {
  const cases = nodes
    .map((n) => {
      const items = [...n.subcommands.map((s) => `${s.name}:${s.description}`), ...n.flags.flatMap((f) => f.names.map((name) => `${name}:${f.description}`))];
      return `    ${shellWord(n.path.join(" "))}) subs=(${n.subcommands.map((s) => shellWord(s.name)).join(" ")}); items=(${items.map(zshWord).join(" ")}); files=${n.fileArgument ? 1 : 0} ;;`;
    })
    .join("\n");
  return `#compdef sbx
# zsh completion for sbx. Load it with:  source <(sbx completion zsh)
# or install it as _sbx in a directory on $fpath.
_sbx() {
  local -a subs items
  local p="" w files i
  local -a valueflags=(${valueFlags(nodes).join(" ")})
  for ((i = 2; i < CURRENT; i++)); do
    w=\${words[i]}
    [[ $w == -* ]] && continue
    (( \${valueflags[(Ie)\${words[i-1]}]} )) && continue
    _sbx_node "$p"
    (( \${subs[(Ie)$w]} )) && p="\${p:+$p }$w"
  done
  case \${words[CURRENT-1]} in
    ${[...DIR_FLAGS].join("|")}|-C) _files -/; return ;;
    ${[...FILE_FLAGS].join("|")}) _files; return ;;
${Object.entries(FIXED_VALUES)
  .map(([flag, values]) => `    ${flag}) compadd -- ${values.join(" ")}; return ;;`)
  .join("\n")}
  esac
  (( \${valueflags[(Ie)\${words[CURRENT-1]}]} )) && return
  _sbx_node "$p"
  _describe -t sbx 'sbx' items
  [[ $files == 1 ]] && _files
}
_sbx_node() {
  case "$1" in
${cases}
    *) subs=(); items=(); files=1 ;;
  esac
}
compdef _sbx sbx
`;
}

const fishWord = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

export function fishScript(nodes: Node[]): string {
  const lines = ["# fish completion for sbx. Load it with:  sbx completion fish | source", "# or install it:  sbx completion fish > ~/.config/fish/completions/sbx.fish", "complete -c sbx -f"];
  // A condition for "the command path so far is exactly P".
  const at = (p: string[]) => `'__sbx_at ${p.join(" ")}'`;
  lines.push(
    "function __sbx_at --description 'the sbx command path typed so far equals the arguments'",
    "  set -l path",
    "  set -l tokens (commandline -opc)",
    `  set -l valueflags ${valueFlags(nodes).join(" ")}`,
    "  set -l skip 0",
    "  for t in $tokens[2..-1]",
    "    if test $skip = 1; set skip 0; continue; end",
    "    if contains -- $t $valueflags; set skip 1; continue; end",
    "    if string match -q -- '-*' $t; continue; end",
    "    set -a path $t",
    "  end",
    '  test "$path" = "$argv"',
    "end",
  );
  for (const n of nodes) {
    for (const s of n.subcommands) lines.push(`complete -c sbx -n ${at(n.path)} -a ${fishWord(s.name)} -d ${fishWord(s.description)}`);
    for (const f of n.flags) {
      const spec = f.names.map((name) => (name.startsWith("--") ? `-l ${name.slice(2)}` : `-s ${name.slice(1)}`)).join(" ");
      const value = !f.takesValue
        ? ""
        : f.values
          ? ` -x -a ${fishWord(f.values.join(" "))}`
          : f.names.some((x) => DIR_FLAGS.has(x) || x === "-C")
            ? " -x -a '(__fish_complete_directories)'"
            : f.names.some((x) => FILE_FLAGS.has(x))
              ? " -r -F"
              : " -x";
      lines.push(`complete -c sbx -n ${at(n.path)} ${spec}${value} -d ${fishWord(f.description)}`);
    }
    if (n.fileArgument) lines.push(`complete -c sbx -n ${at(n.path)} -F`);
  }
  return `${lines.join("\n")}\n`;
}

export const SHELLS = {
  bash: bashScript,
  zsh: zshScript,
  fish: fishScript,
} as const;
export type Shell = keyof typeof SHELLS;
