import { defaultPayloadConverter, type ConverterHint, type Payload } from '@temporalio/common';
import { decode, encode } from '@temporalio/common/lib/encoding';
import { ferryDataConverter } from '../../common/data-converter';
import { parseMessage } from '../../common/inbound-message';
import { payloadConverter } from '../../common/payload-converter';
import { ENCODING_CHARS, isUndecodable, PROBLEM_CHARS, UNDECODABLE } from '../../common/undecodable';
import { z } from 'zod';

// Decodes like Temporal's default converter; what that converter cannot decode becomes a marker
// the workflow refuses, never an exception that fails every workflow task from then on.

const payload = (encoding: string | undefined, data?: string | Uint8Array): Payload => ({
  metadata: encoding === undefined ? {} : { encoding: encode(encoding) },
  ...(data === undefined ? {} : { data: typeof data === 'string' ? encode(data) : data }),
});

/** What Temporal's own converter throws for this payload. */
function defaultProblem(p: Payload): string {
  try {
    defaultPayloadConverter.fromPayload(p);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the default converter decoded it');
}

describe('values the default converter handles', () => {
  const values: [string, unknown][] = [
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['a string', 'olivia approves'],
    ['an empty string', ''],
    ['false', false],
    ['an object', { environment: 'production', approver: 'olivia', comment: 'ship it ✓' }],
    ['an array', [1, 'two', { three: 3 }]],
  ];

  test.each(values)('%s: the same payload as the default converter, and back', (_, value) => {
    const encoded = payloadConverter.toPayload(value);
    expect(encoded).toEqual(defaultPayloadConverter.toPayload(value));
    expect(payloadConverter.fromPayload(encoded)).toEqual(value);
  });

  test('bytes (binary/plain) come back as bytes', () => {
    const bytes = new Uint8Array([0, 1, 254, 255]);
    const encoded = payloadConverter.toPayload(bytes);
    expect(decode(encoded.metadata!.encoding!)).toBe('binary/plain');
    const back = payloadConverter.fromPayload<Uint8Array>(encoded);
    expect(back).toBeInstanceOf(Uint8Array);
    expect([...back]).toEqual([0, 1, 254, 255]);
  });

  test('a value the default converter cannot encode is refused alike', () => {
    expect(() => payloadConverter.toPayload(BigInt(1))).toThrow(/Unable to convert 1 to payload/);
  });

  test('a converter hint reaches the default converter, which refuses one it does not know', () => {
    const hint = { converter: 'protobuf' } as ConverterHint;
    expect(() => defaultPayloadConverter.toPayload({ a: 1 }, undefined, hint)).toThrow("No payload converter supports converter hint 'protobuf'");
    expect(() => payloadConverter.toPayload({ a: 1 }, undefined, hint)).toThrow("No payload converter supports converter hint 'protobuf'");
  });
});

describe('payloads the default converter cannot decode: a marker, not an exception', () => {
  test("json/plain that is not JSON (the Web UI sends text as it was typed): its encoding, size, and the parser's complaint", () => {
    const p = payload('json/plain', 'olivia approves');
    expect(payloadConverter.fromPayload(p)).toEqual({ [UNDECODABLE]: { encoding: 'json/plain', bytes: 15, problem: defaultProblem(p) } });
  });

  test('the byte count is of bytes, not characters', () => {
    const p = payload('json/plain', 'é✓');
    expect(payloadConverter.fromPayload(p)).toEqual({ [UNDECODABLE]: { encoding: 'json/plain', bytes: 5, problem: defaultProblem(p) } });
  });

  test('an encoding the default converter does not know (json/protobuf, which the Web UI offers)', () => {
    expect(payloadConverter.fromPayload(payload('json/protobuf', '{"approver":"olivia"}'))).toEqual({
      [UNDECODABLE]: { encoding: 'json/protobuf', bytes: 21, problem: 'Unknown encoding: json/protobuf' },
    });
  });

  test('json/plain without data', () => {
    expect(payloadConverter.fromPayload(payload('json/plain'))).toEqual({
      [UNDECODABLE]: { encoding: 'json/plain', bytes: 0, problem: 'Got payload with no data' },
    });
  });

  test('no metadata at all', () => {
    expect(payloadConverter.fromPayload({ data: encode('{}') })).toEqual({
      [UNDECODABLE]: { encoding: '(none)', bytes: 2, problem: 'Missing payload metadata' },
    });
  });

  test('metadata without an encoding', () => {
    const marker = payloadConverter.fromPayload(payload(undefined, '{}'));
    expect(marker).toEqual({ [UNDECODABLE]: { encoding: '(none)', bytes: 2, problem: expect.any(String) } });
  });

  test('an empty encoding reads as none', () => {
    expect(payloadConverter.fromPayload(payload('', '{}'))).toEqual({
      [UNDECODABLE]: { encoding: '(none)', bytes: 2, problem: 'Unknown encoding: ' },
    });
  });

  test(`a long encoding is cut to ${ENCODING_CHARS} characters and the problem to ${PROBLEM_CHARS}`, () => {
    const encoding = 'x'.repeat(10_000);
    expect(payloadConverter.fromPayload(payload(encoding, '{}'))).toEqual({
      [UNDECODABLE]: { encoding: 'x'.repeat(ENCODING_CHARS), bytes: 2, problem: `Unknown encoding: ${encoding}`.slice(0, PROBLEM_CHARS) },
    });
  });

  test('every marker it makes is one the workflow recognises and refuses, naming what to send', () => {
    const cases = [payload('json/plain', 'olivia approves'), payload('json/protobuf', '{}'), payload('x'.repeat(10_000), 'y'.repeat(10_000)), { data: encode('{}') }];
    for (const p of cases) {
      const marker = payloadConverter.fromPayload(p);
      expect(isUndecodable(marker)).toBe(true);
      expect(parseMessage(z.object({ approver: z.string() }), marker)).toEqual({
        ok: false,
        reason: expect.stringMatching(/^could not be decoded \(encoding .+, \d+ bytes\): send JSON \(json\/plain\)$/),
      });
    }
  });
});

test('the path the worker, the replayer and the client load is this converter', () => {
  expect(require(ferryDataConverter.payloadConverterPath).payloadConverter).toBe(payloadConverter);
});
