// `ferry`: what CI, approvers and SREs use. Exit codes: 0 done, 1 failed, 2 bad input or
// usage, 3 refused, 4 nondeterminism (see exit-codes.ts).
//
// Only the command tree is defined here: each command's module is loaded when that command runs,
// so `ferry status` never loads the worker, the Kubernetes client, pg or git.
import { Argument, Command, CommanderError, Option } from 'commander';
import { z } from 'zod';
import { InvalidInputError } from '../common/problems';
import { redactSecrets } from './connection/known-secrets';
import type { ConnectionFlags } from './connection/temporal-connection';
import { exitWhenFlushed } from './exit';
import { CliExit, ExitCode } from './exit-codes';
import { parseFlags } from './flags';
import { OUTPUT_FORMATS } from './output';

export { exitWhenFlushed };

const print = (line: string) => console.log(line);

const globalFlags = z.object({
  address: z.string().trim().min(1).max(1000).optional(),
  namespace: z.string().trim().min(1).max(255).optional(),
  profile: z.string().trim().min(1).max(200).optional(),
});

/** `-o/--output`, offered as choices so a typo is refused and shells can complete it. */
const outputOption = (formats: readonly string[] = OUTPUT_FORMATS) => new Option('-o, --output <format>', 'output format').choices(formats);

/** Every command's help ends with examples: what people copy first. */
function examples(command: Command, lines: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`);
}

export function program(): Command {
  const cli = new Command('ferry')
    .description('Promotes releases from dev to staging to production as durable Temporal workflows.')
    .option('--address <host:port>', 'Temporal frontend (over $TEMPORAL_ADDRESS and the profile; default localhost:7233)')
    .option('-n, --namespace <namespace>', 'Temporal namespace (over $TEMPORAL_NAMESPACE and the profile; default "default")')
    .option('--profile <name>', 'profile of the Temporal config file (over $TEMPORAL_PROFILE; default "default")')
    .showHelpAfterError()
    .exitOverride();
  examples(cli, ['ferry start --wait', 'ferry --profile prod status ferry-shop-1a2b3c4', 'ferry envs -o yaml', 'ferry completion bash > /etc/bash_completion.d/ferry']);
  const connection = (): ConnectionFlags => parseFlags(globalFlags, cli.opts());
  const connect = async () => (await import('./connect')).connectClient(connection());
  // Each action sets the exit code; main() exits with it.
  const run = (work: () => Promise<ExitCode>) => async () => {
    process.exitCode = await work();
  };

  examples(
    cli
      .command('start')
      .description('start a promotion of a commit; prints its workflow ID')
      .option('-c, --config <file>', 'the pipeline', 'ferry.config.yaml')
      .option('-r, --ref <ref>', 'branch, tag or commit to promote', 'HEAD')
      .option('--to <env>', 'stop after this environment')
      .option('--as <who>', 'who asks (default: $GITHUB_ACTOR or the user)')
      .option('--force', "promote again through environments an earlier run of this commit already promoted (they are skipped otherwise); each environment's from and after still apply")
      .option('--wait', 'follow it; the exit code is the outcome')
      .addOption(outputOption())
      .option('--json', 'machine-readable output (-o json)')
      .action((options) => run(async () => (await import('./commands/start')).start(connect, options, print))()),
    ['ferry start', 'ferry start --ref main --to staging --wait', 'ferry start --ref v1.4.0 -o json'],
  );

  examples(
    cli
      .command('status <id>')
      .description('environments and steps of a promotion, with state and durations (a closed one is read without a worker)')
      .option('--watch', 'follow it until it ends; the exit code is the outcome')
      .addOption(outputOption())
      .option('--json', 'machine-readable output (-o json)')
      .action((id, options) => run(async () => (await import('./commands/inspect')).status(connect, id, options, print))()),
    ['ferry status ferry-shop-1a2b3c4', 'ferry status ferry-shop-1a2b3c4 --watch', 'ferry status ferry-shop-1a2b3c4 -o yaml'],
  );

  examples(
    cli
      .command('approve <id>')
      .description('approve an environment of a promotion (exit 3 with the reason when refused)')
      .requiredOption('--env <env>', 'the environment waiting for approval')
      .requiredOption('--as <who>', 'who approves')
      .option('--comment <text>')
      .action((id, options) => run(async () => (await import('./commands/decide')).decide(connect, id, 'approve', options, print))()),
    ['ferry approve ferry-shop-1a2b3c4 --env production --as olivia --comment "canary looks good"'],
  );

  examples(
    cli
      .command('reject <id>')
      .description('reject an environment of a promotion')
      .requiredOption('--env <env>', 'the environment waiting for approval')
      .requiredOption('--as <who>', 'who rejects')
      .requiredOption('--reason <text>', 'why')
      .action((id, options) => run(async () => (await import('./commands/decide')).decide(connect, id, 'reject', options, print))()),
    ['ferry reject ferry-shop-1a2b3c4 --env production --as sam --reason "wait for the fix to #42"'],
  );

  examples(
    cli
      .command('abort <id>')
      .description('stop a promotion; what it changed in the running environment is undone')
      .requiredOption('--as <who>', 'who aborts')
      .requiredOption('--reason <text>', 'why')
      .action((id, options) => run(async () => (await import('./commands/decide')).abort(connect, id, options, print))()),
    ['ferry abort ferry-shop-1a2b3c4 --as kim --reason "error rate up in staging"'],
  );

  examples(
    cli
      .command('unlock <app> <env>')
      .description("take an environment's lock from a holder that will not give it back (shows the lock first)")
      .requiredOption('--as <who>', 'who unlocks (recorded by the lock)')
      .requiredOption('--reason <text>', 'why (recorded by the lock)')
      .option('--holder <id>', 'the holder to take it from, as shown; refused if the lock has moved on')
      .option('-y, --yes', 'take it from the holder shown without asking (needed without a terminal, unless --holder)')
      .action((app, env, options) => run(async () => (await import('./commands/unlock')).unlock(connect, app, env, options, print))()),
    ['ferry unlock shop staging --as kim --reason "holder was terminated"', 'ferry unlock shop staging --as kim --reason "stuck" --holder ferry-shop-1a2b3c4'],
  );

  examples(
    cli
      .command('rollback <app>')
      .description("put an environment back to an earlier release of its ledger (default: the one before the live one); prints the rollback's workflow ID")
      .requiredOption('--env <env>', 'the environment to roll back')
      .option('--to <commit>', 'the release to go back to: a commit in the ledger (at least 7 hex digits)')
      .requiredOption('--as <who>', 'who asks (recorded; may not approve it when the environment prevents self-approval)')
      .requiredOption('--reason <text>', 'why (recorded in the ledger)')
      .option('--emergency', "skip the environment's approval and freeze windows (recorded)")
      .option('-c, --config <file>', 'the pipeline', 'ferry.config.yaml')
      .option('--wait', 'follow it; the exit code is the outcome')
      .addOption(outputOption())
      .option('--json', 'machine-readable output (-o json)')
      .action((app, options) => run(async () => (await import('./commands/rollback')).rollback(connect, app, options, print))()),
    ['ferry rollback shop --env production --as sam --reason "checkout errors" --wait', 'ferry rollback shop --env staging --to 1a2b3c4 --as sam --reason "bad migration"'],
  );

  examples(
    cli
      .command('list')
      .description('promotions, newest first, filtered by search attributes')
      .option('--app <app>')
      .option('--state <state>', 'running, waiting, succeeded, failed, rejected, aborted, refused, terminated, timed-out or cancelled')
      .option('--limit <n>', 'at most this many', '50')
      .addOption(outputOption())
      .option('--json', 'machine-readable output (-o json)')
      .action((options) => run(async () => (await import('./commands/inspect')).list(connect, options, print))()),
    ['ferry list --app shop --state waiting', 'ferry list --limit 10 -o json'],
  );

  examples(
    cli
      .command('envs [app] [env]')
      .description('what runs where: each environment of each app (version, age, state, a promotion waiting for approval); with <app> <env>, its releases')
      .option('--app <app>', 'only this app')
      .addOption(outputOption([...OUTPUT_FORMATS, 'mermaid']))
      .option('--json', 'machine-readable output (-o json)')
      .option('-c, --config <file>', 'order environments as this pipeline lists them (default: ferry.config.yaml here, if any)')
      .action((app, env, options) => run(async () => (await import('./commands/envs')).envs(connect, app, env, options, print))()),
    ['ferry envs', 'ferry envs shop production', 'ferry envs -o mermaid >> "$GITHUB_STEP_SUMMARY"'],
  );

  examples(
    cli
      .command('history <id>')
      .description('the timeline of a promotion and its stages')
      .addOption(outputOption([...OUTPUT_FORMATS, 'mermaid']))
      .option('--json', 'machine-readable output (-o json)')
      .option('--mermaid', 'a Mermaid chart for a GitHub job summary (-o mermaid)')
      .action((id, options) => run(async () => (await import('./commands/history')).history(connect, id, options, print))()),
    ['ferry history ferry-shop-1a2b3c4', 'ferry history ferry-shop-1a2b3c4 --mermaid >> "$GITHUB_STEP_SUMMARY"'],
  );

  examples(
    cli
      .command('replay [id]')
      .description("replay a promotion's history against the workflow code (exit 4 when it is nondeterministic)")
      .option('--file <history>', 'a history downloaded from the Web UI or `temporal workflow show --output json`')
      .option('--workflow-id <id>', 'for --file: the ID it ran under (Ferry works it out for its own workflows)')
      .option('--workflows <module>', 'the workflow code to replay against (default: this Ferry)')
      .action((id, options) => run(async () => (await import('./commands/history')).replay(connect, id, options, print))()),
    ['ferry replay ferry-shop-1a2b3c4', 'ferry replay --file history.json'],
  );

  examples(
    cli
      .command('retry <id>')
      .description('promote the same commit again, starting at the environment that failed')
      .option('-c, --config <file>', "the pipeline whose refs policy (from, after) applies now; the rest of the plan is the earlier run's", 'ferry.config.yaml')
      .option('--wait', 'follow it; the exit code is the outcome')
      .addOption(outputOption())
      .option('--json', 'machine-readable output (-o json)')
      .action((id, options) => run(async () => (await import('./commands/retry')).retry(connect, id, options, print))()),
    ['ferry retry ferry-shop-1a2b3c4 --wait'],
  );

  examples(
    cli
      .command('worker')
      .description('run a worker for one task queue (connection from the flags, the TEMPORAL_* variables and the profile)')
      .option('--task-queue <queue>', 'default: $FERRY_TASK_QUEUE or ferry')
      .action((options) => run(async () => (await import('./commands/serve')).worker(options, print, connection()))()),
    ['ferry worker', 'ferry --profile prod worker --task-queue ferry-production'],
  );

  examples(
    cli
      .command('dev')
      .description('Temporal dev server + Web UI, embedded PostgreSQL and a worker, on this machine')
      .option('-c, --config <file...>', 'the pipelines to serve', ['ferry.config.yaml'])
      .option('--dir <dir>', 'where state and logs go', '.ferry')
      .option('--port <port>', 'Temporal gRPC port', '7233')
      .option('--ui-port <port>', 'Web UI port', '8233')
      .action((options) => run(async () => (await import('./commands/serve')).dev(options, print))()),
    ['ferry dev', 'ferry dev --port 7234 --ui-port 8234'],
  );

  examples(
    cli
      .command('version')
      .description("Ferry's version, the Temporal SDK's, and the server's when it can be reached")
      .addOption(outputOption())
      .option('--json', 'machine-readable output (-o json)')
      .action((options) => run(async () => (await import('./commands/version')).version(connection, options, print))()),
    ['ferry version', 'ferry --profile prod version -o json'],
  );

  examples(
    cli
      .command('completion')
      .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
      .description('a completion script for bash, zsh or fish')
      .action((shell) => run(async () => (await import('./commands/completion')).completion(cli, shell, print))()),
    ['source <(ferry completion bash)', 'ferry completion zsh > "${fpath[1]}/_ferry"', 'ferry completion fish > ~/.config/fish/completions/ferry.fish'],
  );

  return cli;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.Done : ExitCode.BadInput;
    // Every message without the secrets this process connected with: the SDK and gRPC quote header values.
    const say = (message: string) => console.error(redactSecrets(message));
    if (error instanceof CliExit) {
      say(error.message);
      return error.code;
    }
    // By name: the client library is loaded only by the commands that connect.
    if (error instanceof Error && error.name === 'WorkflowNotFoundError') {
      console.error(`no such promotion: ${(error as Error & { workflowId?: string }).workflowId}`);
      return ExitCode.BadInput;
    }
    if (error instanceof InvalidInputError) {
      say(error.message);
      return ExitCode.BadInput;
    }
    say(`ferry: ${error instanceof Error ? error.message : String(error)}`);
    return ExitCode.Failed;
  }
}

if (require.main === module) {
  void main(process.argv).then(exitWhenFlushed);
}
