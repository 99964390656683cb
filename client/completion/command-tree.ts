// What a completion script needs from the CLI's commander tree: commands, their options, and
// the values an option takes when it has a fixed set (-o).
import type { Command } from 'commander';

export interface OptionSpec {
  flags: string[];
  description: string;
  takesValue: boolean;
  choices: readonly string[];
}

export interface CommandSpec {
  name: string;
  description: string;
  options: OptionSpec[];
  /** The values its first argument takes, when they are a fixed set (`completion <shell>`). */
  argumentChoices: readonly string[];
}

export interface CommandTree {
  name: string;
  globalOptions: OptionSpec[];
  commands: CommandSpec[];
}

const optionsOf = (command: Command): OptionSpec[] => [
  ...command.options.map((option) => ({
    flags: [option.short, option.long].filter((flag): flag is string => !!flag),
    description: option.description,
    takesValue: option.required || option.optional,
    choices: option.argChoices ?? [],
  })),
  { flags: ['-h', '--help'], description: 'show help', takesValue: false, choices: [] },
];

export function commandTree(program: Command): CommandTree {
  return {
    name: program.name(),
    globalOptions: optionsOf(program),
    commands: program.commands.map((command) => ({
      name: command.name(),
      description: command.description(),
      options: optionsOf(command),
      argumentChoices: command.registeredArguments[0]?.argChoices ?? [],
    })),
  };
}
