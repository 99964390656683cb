// The activity groups load on their first call; what they load must be installed when the worker starts.
import { checkLoadable } from '../../activities/index';

test('with everything installed, the check passes', () => {
  expect(() => checkLoadable()).not.toThrow();
});

test('a missing library or group module fails the start naming each one missing, and nothing else', () => {
  const missing = new Set(['pg', './targets/activities']);
  const resolve = (request: string) => {
    if (missing.has(request)) throw new Error(`Cannot find module '${request}'`);
    return request;
  };
  expect(() => checkLoadable(resolve)).toThrow("the worker's activities cannot load pg, ./targets/activities: the install is incomplete (run npm ci, or rebuild the image)");
});
