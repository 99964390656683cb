import { createMasker, secretForms, secretsIn } from '../../activities/secret-masking';

const lowercaseHex = (text: string) => text.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
const masker = (secrets: Record<string, string>) => createMasker(new Map(Object.entries(secrets)));

describe('which secrets', () => {
  test('the variables the config names, and those whose names look like a credential with a value of 8 characters or more', () => {
    const env = {
      PROD_DATABASE_URL: 'postgres://ferry:hunter2hunter2@db.internal/shop',
      NPM_TOKEN: 'npm_abcdef123456',
      PROD_SLACK_WEBHOOK: 'https://hooks.example.com/T0/B0/xyz',
      EMPTY_TOKEN: '',
      FEATURE_KEY: 'true', // a guess by name needs 8 characters
      SHORT_SECRET: 'abcd', // named by the config: 4 are enough
      HOME: '/home/ferry-builder',
    };
    expect([...secretsIn(env, ['PROD_SLACK_WEBHOOK', 'SHORT_SECRET', 'NOT_SET']).keys()].sort()).toEqual(['NPM_TOKEN', 'PROD_DATABASE_URL', 'PROD_SLACK_WEBHOOK', 'SHORT_SECRET']);
  });
});

describe('the forms of a secret', () => {
  test('a plain value: itself, its URL-encoded form, its base64 without padding (as a Kubernetes Secret holds it), then its other encodings', () => {
    expect(secretForms('s3cret/value')).toEqual(['s3cret/value', 's3cret%2Fvalue', 'czNjcmV0L3ZhbHVl', 's3cret%2fvalue']);
    expect(secretForms('abcde')).toEqual(['abcde', 'YWJjZGU']); // padded YWJjZGU= contains it
  });

  test('a value too short to mask has no base64 form either, though its encoding is long enough', () => {
    expect(Buffer.from('abc').toString('base64')).toBe('YWJj');
    expect(secretForms('abc')).toEqual([]);
    expect(secretForms('on')).toEqual([]);
  });

  test('a URL with credentials: also its password as written, decoded and re-encoded, and the Basic auth of user and password', () => {
    const forms = secretForms('postgres://shop%40acme:p%40ss word@db/shop');
    expect(forms).toEqual(
      expect.arrayContaining([
        'postgres://shop%40acme:p%40ss word@db/shop',
        encodeURIComponent('postgres://shop%40acme:p%40ss word@db/shop'),
        'p%40ss%20word', // how WHATWG URL writes it
        'p@ss word',
        'p%40ss%20word',
        Buffer.from('shop@acme:p@ss word').toString('base64'),
      ]),
    );
  });

  test('a URL without a password has no parts of its own to mask', () => {
    expect(secretForms('https://hooks.example.com/services/T0/B0/tok3n')).toEqual([
      'https://hooks.example.com/services/T0/B0/tok3n',
      encodeURIComponent('https://hooks.example.com/services/T0/B0/tok3n'),
      Buffer.from('https://hooks.example.com/services/T0/B0/tok3n').toString('base64').replace(/=+$/, ''),
      'https%3a%2f%2fhooks.example.com%2fservices%2fT0%2fB0%2ftok3n',
    ]);
  });

  test('forms shorter than four characters are left out: masking them would shred the output', () => {
    expect(secretForms('abc')).toEqual([]);
    expect(secretForms('')).toEqual([]);
    // The two-character password is not masked on its own, but the URL still is.
    expect(secretForms('postgres://u:pw@db/x')).toEqual([
      'postgres://u:pw@db/x',
      encodeURIComponent('postgres://u:pw@db/x'),
      Buffer.from('postgres://u:pw@db/x').toString('base64').replace(/=+$/, ''),
      Buffer.from('u:pw').toString('base64'),
      lowercaseHex(encodeURIComponent('postgres://u:pw@db/x')),
    ]);
  });

  test('each line of a multi-line value is a form of its own', () => {
    const key = '-----BEGIN KEY-----\nAAAAsecretline1\r\nBBBBsecretline2\n-----END KEY-----';
    expect(secretForms(key)).toEqual(expect.arrayContaining(['AAAAsecretline1', 'BBBBsecretline2', '-----BEGIN KEY-----']));
  });
});

describe('the encodings a program may print a secret in', () => {
  const strict = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const encodings: Record<string, (text: string) => string> = {
    'URL-encoded': encodeURIComponent,
    'URL-encoded, lowercase hex': (text) => lowercaseHex(encodeURIComponent(text)),
    'RFC 3986 strict': strict,
    'RFC 3986 strict, lowercase hex': (text) => lowercaseHex(strict(text)),
    'form-encoded, as URLSearchParams writes it': (text) => new URLSearchParams({ k: text }).toString().slice(2),
    'form-encoded, lowercase hex': (text) => lowercaseHex(new URLSearchParams({ k: text }).toString().slice(2)),
    encodeURI: encodeURI,
    'JSON-escaped': (text) => JSON.stringify(text).slice(1, -1),
  };
  const secrets = { SHOP_CHARGE_KEY: `s3cr3t p@ss!w0rd/x'y"z`, SHOP_API_KEY: 'k3y w/ "quote" & +plus' };

  for (const [name, value] of Object.entries(secrets)) {
    for (const [encoding, encode] of Object.entries(encodings)) {
      test(`${name} ${encoding} is masked`, () => {
        expect(encode(value)).not.toBe(value); // each of them writes this secret differently
        expect(masker(secrets)(`value=${encode(value)};`)).toBe(`value=***${name}***;`);
      });
    }
  }

  test('each form once, and none shorter than four characters', () => {
    // A lone surrogate cannot be percent-encoded: its other forms are still found, nothing throws.
    for (const value of [...Object.values(secrets), 'abcd', 'a b!', 'postgres://u:p w@db/x', 'ab\uD800cd']) {
      const forms = secretForms(value);
      expect(new Set(forms).size).toBe(forms.length);
      expect(forms.every((form) => form.length >= 4)).toBe(true);
    }
  });
});

describe('masking', () => {
  test('every occurrence of every form becomes ***NAME***; other text is untouched', () => {
    const mask = masker({ PROD_DATABASE_URL: 'postgres://ferry:hunter2hunter2@db.internal/shop', NPM_TOKEN: 'npm_abcdef123456' });
    expect(mask('+ psql postgres://ferry:hunter2hunter2@db.internal/shop\ntoken=npm_abcdef123456 pw=hunter2hunter2 again npm_abcdef123456')).toBe(
      '+ psql ***PROD_DATABASE_URL***\ntoken=***NPM_TOKEN*** pw=***PROD_DATABASE_URL*** again ***NPM_TOKEN***',
    );
    expect(mask('nothing secret here')).toBe('nothing secret here');
  });

  test('no secrets, empty text or a too-short secret: the text is returned as it is', () => {
    expect(masker({})('some output')).toBe('some output');
    expect(masker({ SHORT_KEY: 'abc' })('key=abc')).toBe('key=abc');
    expect(masker({ A_TOKEN: 'abcdef' })('')).toBe('');
  });

  test('a secret inside another is replaced with the whole of the longer one', () => {
    const mask = masker({ INNER_TOKEN: 'abcd1234', OUTER_TOKEN: 'xx-abcd1234-yy' });
    expect(mask('a xx-abcd1234-yy b abcd1234 c')).toBe('a ***OUTER_TOKEN*** b ***INNER_TOKEN*** c');
  });

  test('secrets that overlap without one containing the other are replaced as one stretch, no piece of either left', () => {
    const mask = masker({ LEFT_TOKEN: 'aaaa-bbbb', RIGHT_TOKEN: 'bbbb-cccc' });
    expect(mask('>aaaa-bbbb-cccc<')).toBe('>***LEFT_TOKEN***<');
  });

  test('URL-encoded and Basic-auth forms are found inside other text', () => {
    const url = 'postgres://shop:pa55%2Fw0rd@db:5432/shop';
    const mask = masker({ SHOP_DATABASE_URL: url });
    expect(mask(`GET /?db=${encodeURIComponent(url)} Authorization: Basic ${Buffer.from('shop:pa55/w0rd').toString('base64')}`)).toBe(
      'GET /?db=***SHOP_DATABASE_URL*** Authorization: Basic ***SHOP_DATABASE_URL***',
    );
  });

  test('a multi-line secret is masked in multi-line text, and line by line', () => {
    const key = 'line-one-secret\nline-two-secret';
    const mask = masker({ DEPLOY_KEY: key });
    expect(mask(`before\n${key}\nafter`)).toBe('before\n***DEPLOY_KEY***\nafter');
    expect(['x line-one-secret', 'line-two-secret y'].map(mask)).toEqual(['x ***DEPLOY_KEY***', '***DEPLOY_KEY*** y']);
  });

  test('the base64 of a secret, as a Kubernetes Secret or an API error quoting one holds it, padded or not', () => {
    const mask = masker({ SHOP_API_KEY: 'tok-manifests-5e4d3c2b1a!', SHORT_PIN: 'abcd' });
    const encoded = Buffer.from('tok-manifests-5e4d3c2b1a!').toString('base64');
    expect(encoded.endsWith('==')).toBe(true);
    expect(mask(`data:\n  API_KEY: ${encoded}\n  PIN: ${Buffer.from('abcd').toString('base64')}`)).toBe('data:\n  API_KEY: ***SHOP_API_KEY***==\n  PIN: ***SHORT_PIN***==');
    expect(mask(`"${encoded.replace(/=+$/, '')}"`)).toBe('"***SHOP_API_KEY***"');
  });

  test('a secret cut in two across calls is not recognised: callers mask whole lines before cutting them', () => {
    const mask = masker({ API_TOKEN: 'tok-0123456789' });
    expect(mask('tok-01234')).toBe('tok-01234');
  });
});
