import { InvalidInputError } from '../common/problems';
import { workerSettings } from './connection-options';
import { runWorker } from './run-worker';

runWorker(workerSettings()).catch((error) => {
  console.error(error instanceof InvalidInputError ? error.message : error);
  process.exit(error instanceof InvalidInputError ? 2 : 1);
});
