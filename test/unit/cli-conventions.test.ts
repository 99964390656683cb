// The CLI as platform teams expect one: examples in every --help, -o on every command that prints
// data, global connection flags, and completion scripts that a shell accepts.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { program } from '../../client/cli';
import { commandTree } from '../../client/completion/command-tree';
import { bashScript, fishScript, zshScript } from '../../client/completion/scripts';
import { tempDir } from '../helpers/git-repo';

const helpOf = (command: Command): string => {
  let text = '';
  command.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  command.outputHelp();
  return text;
};

const commands = program().commands;

describe('ferry --help', () => {
  test.each(['ferry', ...commands.map((c) => c.name())])('%s --help ends with examples of itself', (name) => {
    const command = name === 'ferry' ? program() : program().commands.find((c) => c.name() === name)!;
    const help = helpOf(command);
    const examples = help.slice(help.indexOf('\nExamples:\n'));
    expect(help).toContain('\nExamples:\n');
    const lines = examples.split('\n').filter((l) => l.startsWith('  $ '));
    expect(lines.length).toBeGreaterThan(0);
    if (name !== 'ferry') expect(lines.some((l) => l.includes(` ${name}`) || l.includes(`ferry ${name}`))).toBe(true);
  });

  test('the global connection flags are named as the Temporal CLI names them', () => {
    const flags = program().options.map((o) => o.flags);
    expect(flags).toEqual(expect.arrayContaining(['--address <host:port>', '-n, --namespace <namespace>', '--profile <name>']));
  });

  test.each(['start', 'status', 'list', 'envs', 'history', 'rollback', 'retry', 'version'])('%s takes -o table|json|yaml and --json', (name) => {
    const command = commands.find((c) => c.name() === name)!;
    const output = command.options.find((o) => o.long === '--output');
    expect(output?.short).toBe('-o');
    expect(output?.argChoices).toEqual(expect.arrayContaining(['table', 'json', 'yaml']));
    expect(command.options.some((o) => o.long === '--json')).toBe(true);
  });
});

describe('ferry completion', () => {
  const tree = commandTree(program());
  const dir = tempDir('completion');
  const bash = path.join(dir, 'ferry.bash');
  fs.writeFileSync(bash, bashScript(tree));
  /** What bash completes for these words, as it would at the prompt. */
  const complete = (...words: string[]) =>
    execFileSync('bash', ['-c', `source ${bash}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _ferry; printf '%s\\n' "\${COMPREPLY[@]}"`], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean);

  test('the bash script parses', () => {
    expect(() => execFileSync('bash', ['-n', bash])).not.toThrow();
  });

  test('bash completes subcommands, their options, the global flags and -o values', () => {
    expect(complete('ferry', 'st')).toEqual(['start', 'status']);
    expect(complete('ferry', '')).toEqual(expect.arrayContaining(commands.map((c) => c.name())));
    expect(complete('ferry', 'status', 'x', '--w')).toEqual(['--watch']);
    expect(complete('ferry', '--profile', 'prod', 'status', '--pro')).toEqual(['--profile']);
    expect(complete('ferry', 'list', '-o', 'y')).toEqual(['yaml']);
    expect(complete('ferry', 'envs', '--output', '')).toEqual(['table', 'json', 'yaml', 'mermaid']);
    expect(complete('ferry', 'completion', '')).toEqual(['bash', 'zsh', 'fish']);
    expect(complete('ferry', 'status', '-o', '')).toEqual(['table', 'json', 'yaml']);
  });

  test('zsh and fish scripts name every command and its options', () => {
    const zsh = zshScript(tree);
    const fish = fishScript(tree);
    expect(zsh.startsWith('#compdef ferry')).toBe(true);
    for (const command of tree.commands) {
      expect(zsh).toContain(`'${command.name}:`);
      expect(fish).toContain(`-a ${command.name} `);
      for (const flag of command.options.flatMap((o) => o.flags).filter((f) => f.startsWith('--') && f !== '--help')) {
        expect(fish).toMatch(new RegExp(`__fish_seen_subcommand_from ${command.name}' (-s \\w )?-l ${flag.slice(2)}\\b`));
      }
    }
    expect(fish).toContain("-l output -r -f -a 'table json yaml'");
  });
});
