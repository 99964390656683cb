import { redactSecrets } from '../client/connection/known-secrets';
import { InvalidInputError } from '../common/problems';
import { runWorker } from './run-worker';
import { startupSettings } from './startup-settings';

Promise.resolve()
  .then(() => {
    const { worker, telemetry, tracing } = startupSettings();
    return runWorker(worker, console.info, telemetry, tracing);
  })
  .catch((error) => {
    // Without the secrets it connected with: the SDK and gRPC quote header values in their messages.
    console.error(redactSecrets(error instanceof InvalidInputError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)));
    process.exit(error instanceof InvalidInputError ? 2 : 1);
  });
