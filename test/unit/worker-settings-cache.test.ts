// FERRY_WORKER_MAX_CACHED_WORKFLOWS: how many workflows a worker keeps in memory between their
// tasks (the SDK's maxCachedWorkflows), checked with the other worker variables before anything starts.
import { InvalidInputError } from '../../common/problems';
import { workerSettings } from '../../worker/connection-options';
import { startupSettings } from '../../worker/startup-settings';

describe('FERRY_WORKER_MAX_CACHED_WORKFLOWS', () => {
  test("unset or empty: the SDK's own default (it scales with the worker's heap limit)", () => {
    expect(workerSettings({}).maxCachedWorkflows).toBeUndefined();
    expect(workerSettings({ FERRY_WORKER_MAX_CACHED_WORKFLOWS: '' }).maxCachedWorkflows).toBeUndefined();
  });

  test('a whole number from 2 (the smallest cache the SDK keeps) to 100000', () => {
    expect(workerSettings({ FERRY_WORKER_MAX_CACHED_WORKFLOWS: '2' }).maxCachedWorkflows).toBe(2);
    expect(workerSettings({ FERRY_WORKER_MAX_CACHED_WORKFLOWS: '500' }).maxCachedWorkflows).toBe(500);
    expect(workerSettings({ FERRY_WORKER_MAX_CACHED_WORKFLOWS: '100000' }).maxCachedWorkflows).toBe(100_000);
  });

  test.each([
    ['0', /at least 2/],
    ['1', /at least 2/],
    ['-5', /at least 2/],
    ['2.5', /whole number/],
    ['many', /whole number/],
    ['100001', /at most 100000/],
    ['1e400', /at most 100000|whole number/],
    ['9'.repeat(30), /at most 100000|whole number/],
  ])('%s is refused, naming the variable', (value, why) => {
    expect(() => workerSettings({ FERRY_WORKER_MAX_CACHED_WORKFLOWS: value })).toThrow(InvalidInputError);
    expect(() => workerSettings({ FERRY_WORKER_MAX_CACHED_WORKFLOWS: value })).toThrow(/FERRY_WORKER_MAX_CACHED_WORKFLOWS: /);
    expect(() => workerSettings({ FERRY_WORKER_MAX_CACHED_WORKFLOWS: value })).toThrow(why);
  });

  test('refused together with the other worker variables, before anything starts', () => {
    let error: unknown;
    try {
      startupSettings({ FERRY_WORKER_MAX_CACHED_WORKFLOWS: '0', FERRY_LOG_LEVEL: 'loud' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).message).toMatch(/FERRY_WORKER_MAX_CACHED_WORKFLOWS: /);
    expect((error as InvalidInputError).message).toMatch(/FERRY_LOG_LEVEL: /);
  });
});
