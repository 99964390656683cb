import { workerSettings } from '../../worker/connection-options';
import { InvalidInputError } from '../../common/problems';

describe('workerSettings', () => {
  test('defaults: local Temporal, namespace default, task queue ferry, state under .ferry', () => {
    expect(workerSettings({})).toMatchObject({ address: 'localhost:7233', namespace: 'default', taskQueue: 'ferry', tls: undefined, apiKey: undefined });
    expect(workerSettings({}).stateDir).toMatch(/\/\.ferry\/environments$/);
  });

  test('an empty variable counts as unset, as CI passes secrets nobody set', () => {
    expect(workerSettings({ TEMPORAL_ADDRESS: '', TEMPORAL_API_KEY: '', FERRY_TASK_QUEUE: '' })).toMatchObject({
      address: 'localhost:7233',
      taskQueue: 'ferry',
      apiKey: undefined,
      tls: undefined,
    });
  });

  test('an API key implies TLS; a certificate without its key is refused, naming both', () => {
    expect(workerSettings({ TEMPORAL_API_KEY: 'k' })).toMatchObject({ apiKey: 'k', tls: true });
    expect(() => workerSettings({ TEMPORAL_TLS_CERT: '/nowhere/cert.pem' })).toThrow(InvalidInputError);
    expect(() => workerSettings({ TEMPORAL_TLS_CERT: '/nowhere/cert.pem' })).toThrow('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together');
  });
});
