// `ferry completion bash|zsh|fish`: a script written from the CLI's own command tree.
import type { Command } from 'commander';
import { z } from 'zod';
import { commandTree } from '../completion/command-tree';
import { completionScript, SHELLS } from '../completion/scripts';
import { ExitCode } from '../exit-codes';
import { parseFlags } from '../flags';

const shellArgument = z.object({ shell: z.enum(SHELLS) });

export async function completion(program: Command, shell: string, print: (text: string) => void) {
  const flags = parseFlags(shellArgument, { shell }, { shell: '<shell>' });
  print(completionScript(commandTree(program), flags.shell).trimEnd());
  return ExitCode.Done;
}
