// Completion scripts for bash, zsh and fish, written from the command tree: commands, then each
// command's options (and the global ones), and the fixed values of an option such as -o.
import type { CommandTree, OptionSpec } from './command-tree';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** Words go into single quotes; descriptions are Ferry's own text, quoted all the same. */
const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim().slice(0, 120);
const fn = (tree: CommandTree) => `_${tree.name.replace(/[^A-Za-z0-9_]/g, '_')}`;

/** `case "$cmd $prev"` arms: an option's fixed values, per command (envs takes mermaid, status not). */
function choiceCases(command: string, options: OptionSpec[], indent: string): string[] {
  return options
    .filter((o) => o.choices.length > 0)
    .map((o) => `${indent}${o.flags.map((flag) => `"${command} ${flag}"`).join('|')}) COMPREPLY=($(compgen -W ${quote(o.choices.join(' '))} -- "$cur")); return ;;`);
}

export function bashScript(tree: CommandTree): string {
  const flagsOf = (options: OptionSpec[]) => options.flatMap((o) => o.flags).join(' ');
  const commands = tree.commands.map((c) => c.name).join(' ');
  const valueCases = [
    ...choiceCases('', tree.globalOptions, '    '),
    ...tree.commands.flatMap((c) => [
      ...choiceCases(c.name, [...c.options, ...tree.globalOptions], '    '),
      ...(c.argumentChoices.length > 0 ? [`    "${c.name} ${c.name}") COMPREPLY=($(compgen -W ${quote(c.argumentChoices.join(' '))} -- "$cur")); return ;;`] : []),
    ]),
  ];
  return `# ${tree.name} completion for bash: source <(${tree.name} completion bash)
${fn(tree)}() {
  local cur prev cmd i word
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case " ${commands} " in *" $word "*) cmd="$word"; break ;; esac
  done
  case "$cmd $prev" in
${valueCases.join('\n')}
  esac
  case "$cmd" in
    "") COMPREPLY=($(compgen -W ${quote(`${commands} ${flagsOf(tree.globalOptions)}`)} -- "$cur")) ;;
${tree.commands.map((c) => `    ${c.name}) COMPREPLY=($(compgen -W ${quote(`${flagsOf(c.options)} ${flagsOf(tree.globalOptions)}`)} -- "$cur")) ;;`).join('\n')}
  esac
  if [[ \${#COMPREPLY[@]} -eq 0 && "$cur" != -* ]]; then COMPREPLY=($(compgen -f -- "$cur")); fi
}
complete -F ${fn(tree)} ${tree.name}
`;
}

export function zshScript(tree: CommandTree): string {
  const described = (options: OptionSpec[]) => options.flatMap((o) => o.flags.map((flag) => quote(`${flag}:${oneLine(o.description).replace(/:/g, '\\:')}`))).join(' ');
  const allOptions = [...tree.globalOptions, ...tree.commands.flatMap((c) => c.options)];
  return `#compdef ${tree.name}
# ${tree.name} completion for zsh: ${tree.name} completion zsh > "\${fpath[1]}/_${tree.name}"
${fn(tree)}() {
  local -a commands options
  local cmd word
  commands=(${tree.commands.map((c) => quote(`${c.name}:${oneLine(c.description).replace(/:/g, '\\:')}`)).join(' ')})
  case "\${words[CURRENT-1]}" in
${allOptions
  .filter((o) => o.choices.length > 0)
  .map((o) => `    ${o.flags.join('|')}) compadd -- ${o.choices.join(' ')}; return ;;`)
  .join('\n')}
  esac
  for word in "\${words[@]:1:CURRENT-2}"; do
    if (( \${commands[(I)\${word}:*]} )); then cmd="$word"; break; fi
  done
  case "$cmd" in
    "") options=(${described(tree.globalOptions)}); _describe 'command' commands; _describe 'option' options ;;
${tree.commands.map((c) => `    ${c.name}) options=(${described(c.options)} ${described(tree.globalOptions)}); _describe 'option' options; _files ;;`).join('\n')}
  esac
}
compdef ${fn(tree)} ${tree.name}
`;
}

export function fishScript(tree: CommandTree): string {
  const names = tree.commands.map((c) => c.name).join(' ');
  const option = (o: OptionSpec, condition: string) => {
    const parts = [`complete -c ${tree.name}`, condition];
    for (const flag of o.flags) parts.push(flag.startsWith('--') ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`);
    if (o.takesValue) parts.push('-r');
    if (o.choices.length > 0) parts.push(`-f -a ${quote(o.choices.join(' '))}`);
    parts.push(`-d ${quote(oneLine(o.description))}`);
    return parts.join(' ');
  };
  return [
    `# ${tree.name} completion for fish: ${tree.name} completion fish > ~/.config/fish/completions/${tree.name}.fish`,
    ...tree.commands.map((c) => `complete -c ${tree.name} -f -n ${quote(`not __fish_seen_subcommand_from ${names}`)} -a ${c.name} -d ${quote(oneLine(c.description))}`),
    ...tree.globalOptions.map((o) => option(o, '')),
    ...tree.commands.flatMap((c) => c.options.map((o) => option(o, `-n ${quote(`__fish_seen_subcommand_from ${c.name}`)}`))),
    '',
  ].join('\n');
}

export function completionScript(tree: CommandTree, shell: Shell): string {
  return shell === 'bash' ? bashScript(tree) : shell === 'zsh' ? zshScript(tree) : fishScript(tree);
}
