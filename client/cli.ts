// `ferry`: what CI, approvers and SREs use. Exit codes: 0 done, 1 failed, 2 bad input or
// usage, 3 refused, 4 nondeterminism (see exit-codes.ts).
import { WorkflowNotFoundError } from '@temporalio/client';
import { Command, CommanderError } from 'commander';
import { InvalidInputError } from '../common/problems';
import { abort, decide } from './commands/decide';
import { envs } from './commands/envs';
import { history, replay } from './commands/history';
import { list, status } from './commands/inspect';
import { dev, worker } from './commands/serve';
import { retry } from './commands/retry';
import { rollback } from './commands/rollback';
import { start } from './commands/start';
import { unlock } from './commands/unlock';
import { connectClient } from './connect';
import { exitWhenFlushed } from './exit';
import { CliExit, ExitCode } from './exit-codes';

export { exitWhenFlushed };

const print = (line: string) => console.log(line);

export function program(): Command {
  const cli = new Command('ferry')
    .description('Promotes releases from dev to staging to production as durable Temporal workflows.')
    .showHelpAfterError()
    .exitOverride();
  // Each action sets the exit code; main() exits with it.
  const run = (work: () => Promise<ExitCode>) => async () => {
    process.exitCode = await work();
  };

  cli
    .command('start')
    .description('start a promotion of a commit; prints its workflow ID')
    .option('-c, --config <file>', 'the pipeline', 'ferry.config.yaml')
    .option('-r, --ref <ref>', 'branch, tag or commit to promote', 'HEAD')
    .option('--to <env>', 'stop after this environment')
    .option('--as <who>', 'who asks (default: $GITHUB_ACTOR or the user)')
    .option('--force', 'promote again through environments an earlier run of this commit already promoted (they are skipped otherwise); each environment\'s from and after still apply')
    .option('--wait', 'follow it; the exit code is the outcome')
    .option('--json', 'machine-readable output')
    .action((options) => run(() => start(connectClient, options, print))());

  cli
    .command('status <id>')
    .description('environments and steps of a promotion, with state and durations (a closed one is read without a worker)')
    .option('--watch', 'follow it until it ends; the exit code is the outcome')
    .option('--json', 'machine-readable output')
    .action((id, options) => run(() => status(connectClient, id, options, print))());

  cli
    .command('approve <id>')
    .description('approve an environment of a promotion (exit 3 with the reason when refused)')
    .requiredOption('--env <env>', 'the environment waiting for approval')
    .requiredOption('--as <who>', 'who approves')
    .option('--comment <text>')
    .action((id, options) => run(() => decide(connectClient, id, 'approve', options, print))());

  cli
    .command('reject <id>')
    .description('reject an environment of a promotion')
    .requiredOption('--env <env>', 'the environment waiting for approval')
    .requiredOption('--as <who>', 'who rejects')
    .requiredOption('--reason <text>', 'why')
    .action((id, options) => run(() => decide(connectClient, id, 'reject', options, print))());

  cli
    .command('abort <id>')
    .description('stop a promotion; what it changed in the running environment is undone')
    .requiredOption('--as <who>', 'who aborts')
    .requiredOption('--reason <text>', 'why')
    .action((id, options) => run(() => abort(connectClient, id, options, print))());

  cli
    .command('unlock <app> <env>')
    .description("take an environment's lock from a holder that will not give it back (shows the lock first)")
    .requiredOption('--as <who>', 'who unlocks (recorded by the lock)')
    .requiredOption('--reason <text>', 'why (recorded by the lock)')
    .option('--holder <id>', 'the holder to take it from, as shown; refused if the lock has moved on')
    .option('-y, --yes', 'take it from the holder shown without asking (needed without a terminal, unless --holder)')
    .action((app, env, options) => run(() => unlock(connectClient, app, env, options, print))());

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
    .option('--json', 'machine-readable output')
    .action((app, options) => run(() => rollback(connectClient, app, options, print))());

  cli
    .command('list')
    .description('promotions, newest first, filtered by search attributes')
    .option('--app <app>')
    .option('--state <state>', 'running, waiting, succeeded, failed, rejected, aborted, refused, terminated, timed-out or cancelled')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'machine-readable output')
    .action((options) => run(() => list(connectClient, options, print))());

  cli
    .command('envs [app] [env]')
    .description('what runs where: each environment of each app (version, age, state, a promotion waiting for approval); with <app> <env>, its releases')
    .option('--app <app>', 'only this app')
    .option('-o, --output <format>', 'table, json or mermaid (a chart for a GitHub job summary)')
    .option('--json', 'machine-readable output (-o json)')
    .option('-c, --config <file>', 'order environments as this pipeline lists them (default: ferry.config.yaml here, if any)')
    .action((app, env, options) => run(() => envs(connectClient, app, env, options, print))());

  cli
    .command('history <id>')
    .description('the timeline of a promotion and its stages')
    .option('--json', 'machine-readable output')
    .option('--mermaid', 'a Mermaid chart (for a GitHub job summary)')
    .action((id, options) => run(() => history(connectClient, id, options, print))());

  cli
    .command('replay [id]')
    .description("replay a promotion's history against the workflow code (exit 4 when it is nondeterministic)")
    .option('--file <history>', 'a history downloaded from the Web UI or `temporal workflow show --output json`')
    .option('--workflow-id <id>', 'for --file: the ID it ran under (Ferry works it out for its own workflows)')
    .option('--workflows <module>', 'the workflow code to replay against (default: this Ferry)')
    .action((id, options) => run(() => replay(connectClient, id, options, print))());

  cli
    .command('retry <id>')
    .description('promote the same commit again, starting at the environment that failed')
    .option('-c, --config <file>', "the pipeline whose refs policy (from, after) applies now; the rest of the plan is the earlier run's", 'ferry.config.yaml')
    .option('--wait', 'follow it; the exit code is the outcome')
    .option('--json', 'machine-readable output')
    .action((id, options) => run(() => retry(connectClient, id, options, print))());

  cli
    .command('worker')
    .description('run a worker for one task queue (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS from the environment)')
    .option('--task-queue <queue>', 'default: $FERRY_TASK_QUEUE or ferry')
    .action((options) => run(() => worker(options, print))());

  cli
    .command('dev')
    .description('Temporal dev server + Web UI, embedded PostgreSQL and a worker, on this machine')
    .option('-c, --config <file...>', 'the pipelines to serve', ['ferry.config.yaml'])
    .option('--dir <dir>', 'where state and logs go', '.ferry')
    .option('--port <port>', 'Temporal gRPC port', '7233')
    .option('--ui-port <port>', 'Web UI port', '8233')
    .action((options) => run(() => dev(options, print))());

  return cli;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.Done : ExitCode.BadInput;
    if (error instanceof CliExit) {
      console.error(error.message);
      return error.code;
    }
    if (error instanceof WorkflowNotFoundError) {
      console.error(`no such promotion: ${error.workflowId}`);
      return ExitCode.BadInput;
    }
    if (error instanceof InvalidInputError) {
      console.error(error.message);
      return ExitCode.BadInput;
    }
    console.error(`ferry: ${error instanceof Error ? error.message : String(error)}`);
    return ExitCode.Failed;
  }
}

if (require.main === module) {
  void main(process.argv).then(exitWhenFlushed);
}
