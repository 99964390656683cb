// The CLI talks to the same Temporal as the workers, configured the same way (client/connection).
import { Client, Connection } from '@temporalio/client';
import { ferryDataConverter } from '../common/data-converter';
import { temporalConnection, type ConnectionFlags } from './connection/temporal-connection';
import { clientTracing } from './tracing';

export interface FerryClient {
  client: Client;
  close(): Promise<void>;
}

/** `flags`: the global --address, --namespace and --profile, over the variables and the config file. */
export async function connectClient(flags: ConnectionFlags = {}, env: NodeJS.ProcessEnv = process.env): Promise<FerryClient> {
  const settings = temporalConnection(env, flags);
  const tracing = await clientTracing(env);
  const connection = await Connection.connect({ address: settings.address, tls: settings.tls, apiKey: settings.apiKey, metadata: settings.metadata, connectTimeout: '10s' });
  // The workers' converter: a payload someone sent in an odd encoding must not crash a reader either.
  // With tracing, StartWorkflow is the trace's root; close() sends the spans before the CLI exits.
  const interceptors = tracing && { workflow: tracing.workflowInterceptors };
  const close = async () => {
    try {
      await connection.close();
    } finally {
      await tracing?.shutdown();
    }
  };
  return { client: new Client({ connection, namespace: settings.namespace, dataConverter: ferryDataConverter, interceptors }), close };
}
