import { fillQuery, fillUrl, placeholdersIn } from '../../common/check-placeholders';

describe('placeholdersIn', () => {
  test('lists each known placeholder once, in order of first use, and nothing else', () => {
    expect(placeholdersIn('{service}/{version}/{service}/{environment}')).toEqual(['service', 'version', 'environment']);
    expect(placeholdersIn('{Service} {sha} {version ')).toEqual([]);
    expect(placeholdersIn('')).toEqual([]);
  });
});

describe('fillUrl', () => {
  test('percent-encodes each value, so a version stays one path segment', () => {
    expect(fillUrl('http://{service}.shop.svc/v/{version}?env={environment}', { service: 'shop-canary', version: 'shop:1.2/x y', environment: 'prod' })).toBe(
      'http://shop-canary.shop.svc/v/shop%3A1.2%2Fx%20y?env=prod',
    );
  });

  test('leaves a placeholder with no value as it is, so the check names it instead of aiming elsewhere', () => {
    expect(fillUrl('http://{service}/healthz', { version: 'v', environment: 'e' })).toBe('http://{service}/healthz');
  });

  test('fills every occurrence', () => {
    expect(fillUrl('{version}-{version}', { version: 'a', environment: 'e' })).toBe('a-a');
  });
});

describe('fillQuery', () => {
  test('escapes quotes and backslashes for a PromQL string literal', () => {
    expect(fillQuery('x{service="{service}",version="{version}"}', { service: 'shop-canary', version: 'a"b\\c', environment: 'e' })).toBe('x{service="shop-canary",version="a\\"b\\\\c"}');
  });
});
