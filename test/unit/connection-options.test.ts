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
    expect(() => workerSettings({ TEMPORAL_TLS_CERT: '/nowhere/cert.pem' })).toThrow('TEMPORAL_TLS_CERT needs TEMPORAL_TLS_CLIENT_KEY_PATH');
  });

  test('FERRY_SHUTDOWN_GRACE: a duration, 5m by default, at most a day; anything else is refused naming it', () => {
    expect(workerSettings({}).shutdownGraceMs).toBe(5 * 60_000);
    expect(workerSettings({ FERRY_SHUTDOWN_GRACE: '' }).shutdownGraceMs).toBe(5 * 60_000);
    expect(workerSettings({ FERRY_SHUTDOWN_GRACE: '90s' }).shutdownGraceMs).toBe(90_000);
    expect(workerSettings({ FERRY_SHUTDOWN_GRACE: '1h30m' }).shutdownGraceMs).toBe(5_400_000);
    expect(workerSettings({ FERRY_SHUTDOWN_GRACE: '0s' }).shutdownGraceMs).toBe(0);
    for (const bad of ['5', 'five minutes', '-1m', '25h', 'x'.repeat(100)]) {
      expect(() => workerSettings({ FERRY_SHUTDOWN_GRACE: bad })).toThrow(InvalidInputError);
      expect(() => workerSettings({ FERRY_SHUTDOWN_GRACE: bad })).toThrow(/FERRY_SHUTDOWN_GRACE: /);
    }
  });

  test('FERRY_BACKUP_KEEP: a whole number from 1 to 1000 (default 10), checked at start-up', () => {
    expect(() => workerSettings({})).not.toThrow();
    expect(() => workerSettings({ FERRY_BACKUP_KEEP: '3' })).not.toThrow();
    for (const bad of ['0', '-2', '2.5', 'ten', '1001']) {
      expect(() => workerSettings({ FERRY_BACKUP_KEEP: bad })).toThrow(/FERRY_BACKUP_KEEP: /);
    }
  });
});
