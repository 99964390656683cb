// Entry point of the proxy process the local target starts for an environment.
import { startProxy } from './proxy-server';

const settings = JSON.parse(process.argv[2] ?? '{}');

startProxy(settings).then(
  (proxy) => {
    const stop = () => void proxy.close().then(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    console.info(`ferry proxy for ${settings.environment} on :${settings.port} (pid ${process.pid})`);
  },
  (error: unknown) => {
    console.error(`ferry proxy for ${settings.environment} could not start: ${(error as Error).message}`);
    process.exit(1);
  },
);
