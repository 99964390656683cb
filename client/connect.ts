// The CLI talks to the same Temporal as the workers, configured by the same variables.
import { Client, Connection } from '@temporalio/client';
import { ferryDataConverter } from '../common/data-converter';
import { workerSettings } from '../worker/connection-options';

export interface FerryClient {
  client: Client;
  close(): Promise<void>;
}

export async function connectClient(env: NodeJS.ProcessEnv = process.env): Promise<FerryClient> {
  const settings = workerSettings(env);
  const connection = await Connection.connect({ address: settings.address, tls: settings.tls, apiKey: settings.apiKey, connectTimeout: '10s' });
  // The workers' converter: a payload someone sent in an odd encoding must not crash a reader either.
  return { client: new Client({ connection, namespace: settings.namespace, dataConverter: ferryDataConverter }), close: () => connection.close() };
}
