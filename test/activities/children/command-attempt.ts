// A worker-like process for tests: runs one attempt of `build` the way a worker would, until it
// ends or the test kills this process. Arguments: the CommandInput and the activity info, as JSON,
// and optionally `exit-on-output`: exit (normally, as after a worker's shutdown) at the first line
// the command prints.
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { build } from '../../../activities/commands';

const [input, info] = process.argv.slice(2, 4).map((arg) => JSON.parse(arg));
const exitOnOutput = process.argv[4] === 'exit-on-output';
const logger = new DefaultLogger('INFO', ({ level, message, meta }: LogEntry) => {
  if (exitOnOutput && level === 'INFO' && message.startsWith('build: ') && meta?.pgid === undefined) process.exit(0);
});

new MockActivityEnvironment(info, { logger }).run(build, input).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
