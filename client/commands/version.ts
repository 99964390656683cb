// `ferry version`: Ferry's, the Temporal SDK's, and the server's when it answers; an unreachable
// server is reported in its line, never a failure. Settings that are not valid (a profile the file
// does not have, an --address that is no host:port) are bad input: exit 2, as for every command.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ConnectionFlags } from '../connection/temporal-connection';
import { CliExit, ExitCode } from '../exit-codes';
import { parseFlags } from '../flags';
import { noOutputConflict, OUTPUT_FLAG_NAMES, outputOf, outputShape, render } from '../output';
import { InvalidInputError } from '../../common/problems';
import { briefly } from '../transient';
import { redactSecrets } from '../connection/known-secrets';

const versionFlags = z
  .object({ ...outputShape })
  .superRefine(noOutputConflict)
  .transform(outputOf);

const SERVER_DEADLINE_MS = 5_000;

/** Ferry's package.json, found from here whether this runs from the sources or from dist/. */
function ferryVersion(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!fs.existsSync(file)) continue;
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'ferry') return pkg.version ?? 'unknown';
  }
  return 'unknown';
}

interface ServerVersion {
  address?: string;
  namespace?: string;
  version?: string;
  unreachable?: string;
}

async function serverVersion(connection: () => ConnectionFlags): Promise<ServerVersion> {
  let address: string | undefined;
  try {
    const { temporalConnection } = await import('../connection/temporal-connection');
    const settings = temporalConnection(process.env, connection());
    address = settings.address;
    const { Connection } = await import('@temporalio/client');
    const client = await Connection.connect({ ...settings, connectTimeout: SERVER_DEADLINE_MS });
    try {
      const info = await client.withDeadline(Date.now() + SERVER_DEADLINE_MS, () => client.workflowService.getSystemInfo({}));
      return { address, namespace: settings.namespace, version: info.serverVersion || 'unknown' };
    } finally {
      await client.close();
    }
  } catch (error) {
    if (error instanceof InvalidInputError || error instanceof CliExit) throw error;
    // gRPC quotes header values (the API key) in some of its messages.
    return { address, unreachable: redactSecrets(briefly(error)) };
  }
}

export async function version(connection: () => ConnectionFlags, options: unknown, print: (text: string) => void) {
  const flags = parseFlags(versionFlags, options, OUTPUT_FLAG_NAMES);
  const sdk = (require('@temporalio/client/package.json') as { version: string }).version;
  const server = await serverVersion(connection);
  const data = { ferry: ferryVersion(), temporalSdk: sdk, server };
  print(
    render(flags.output, data, () =>
      [
        `ferry         ${data.ferry}`,
        `temporal sdk  ${sdk}`,
        `server        ${server.version ? `${server.version} at ${server.address}` : `not reached${server.address ? ` at ${server.address}` : ''}: ${server.unreachable}`}`,
      ].join('\n'),
    ),
  );
  return ExitCode.Done;
}
