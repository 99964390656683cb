import { z } from 'zod';
import { IGNORED_KEPT, keepRefusal, parseMessage, PAYLOAD_PREVIEW_CHARS, REASON_CHARS, refusal } from '../../common/inbound-message';
import type { IgnoredMessage } from '../../common/status';
import { ENCODING_CHARS, isUndecodable, PROBLEM_CHARS, UNDECODABLE, type Undecodable } from '../../common/undecodable';

// What a workflow keeps of a message it refused must stay small whatever was sent: two 1 MB
// comments once made every status query and the result exceed Temporal's blob limit.

const AT = '2025-03-01T10:00:00.000Z';
const schema = z
  .object({
    environment: z.string({ error: 'must be a string' }),
    approver: z.string({ error: 'must be a string' }).max(5, { error: 'must be at most 5 characters' }),
  })
  .strict();

const undecodable = (encoding: string, bytes: number): Undecodable => ({ [UNDECODABLE]: { encoding, bytes, problem: 'Unexpected token o' } });

describe('parseMessage', () => {
  test('a valid payload: its data, as the schema parsed it', () => {
    expect(parseMessage(schema, { environment: 'production', approver: 'olive' })).toEqual({ ok: true, data: { environment: 'production', approver: 'olive' } });
  });

  test('every problem, each naming its field, in one reason', () => {
    expect(parseMessage(schema, { environment: 3, approver: 'olivia' })).toEqual({
      ok: false,
      reason: 'environment: must be a string; approver: must be at most 5 characters',
    });
  });

  test('a payload the converter could not decode: its encoding and size, and what to send instead', () => {
    expect(parseMessage(schema, undecodable('json/protobuf', 17))).toEqual({
      ok: false,
      reason: 'could not be decoded (encoding json/protobuf, 17 bytes): send JSON (json/plain)',
    });
  });

  test('bytes (binary/plain): their size, not one problem per byte', () => {
    expect(parseMessage(schema, new Uint8Array([1, 2, 3, 4]))).toEqual({ ok: false, reason: 'is binary (4 bytes): send JSON (json/plain)' });
    expect(parseMessage(z.unknown(), Buffer.from('olivia approves'))).toEqual({ ok: false, reason: 'is binary (15 bytes): send JSON (json/plain)' });
  });

  test('no payload at all goes to the schema', () => {
    expect(parseMessage(schema, undefined)).toEqual({ ok: false, reason: 'Invalid input: expected object, received undefined' });
    expect(parseMessage(z.undefined(), undefined)).toEqual({ ok: true, data: undefined });
  });
});

describe("a payload that only looks like the converter's marker", () => {
  // Anyone can send `{"ferry:undecodable": …}` as JSON: it must be refused like any other
  // malformed payload, never throw in a signal handler (which fails every workflow task from
  // then on) and never keep more than a preview.
  const forgeries: unknown[] = [
    { [UNDECODABLE]: null },
    { [UNDECODABLE]: 'json/plain' },
    { [UNDECODABLE]: {} },
    { [UNDECODABLE]: { encoding: 7, bytes: '3', problem: null } },
    { [UNDECODABLE]: { encoding: 'e'.repeat(1024 * 1024), bytes: 1, problem: 'x' } },
    { [UNDECODABLE]: { encoding: 'json/plain', bytes: 1, problem: 'p'.repeat(1024 * 1024) } },
  ];

  test.each(forgeries.map((raw) => [JSON.stringify(raw).slice(0, 80), raw]))('%s: refused by the schema, kept as a bounded preview', (_, raw) => {
    const parsed = parseMessage(schema, raw);
    expect(parsed.ok).toBe(false);
    const kept = refusal('abort', parsed.ok ? '' : parsed.reason, raw, AT);
    expect(JSON.stringify(kept).length).toBeLessThan(2_000);
    expect(kept.payload!.startsWith(JSON.stringify(raw).slice(0, PAYLOAD_PREVIEW_CHARS))).toBe(true);
  });

  test("isUndecodable: the converter's shape exactly, each field of its type and within its bound", () => {
    const marker = { encoding: 'json/plain', bytes: 3, problem: 'Unexpected token' };
    expect(isUndecodable({ [UNDECODABLE]: marker })).toBe(true);
    expect(isUndecodable({ [UNDECODABLE]: undefined })).toBe(false);
    expect(isUndecodable({ [UNDECODABLE]: 3 })).toBe(false);
    expect(isUndecodable({ [UNDECODABLE]: { ...marker, encoding: undefined } })).toBe(false);
    expect(isUndecodable({ [UNDECODABLE]: { ...marker, bytes: '3' } })).toBe(false);
    expect(isUndecodable({ [UNDECODABLE]: { ...marker, problem: 3 } })).toBe(false);
    expect(isUndecodable({ [UNDECODABLE]: { ...marker, problem: ['a list has a length too'] } })).toBe(false);
    expect(isUndecodable({ [UNDECODABLE]: { ...marker, encoding: 'e'.repeat(ENCODING_CHARS + 1) } })).toBe(false);
    expect(isUndecodable({ [UNDECODABLE]: { ...marker, problem: 'p'.repeat(PROBLEM_CHARS + 1) } })).toBe(false);
    expect(isUndecodable({ encoding: 'json/plain' })).toBe(false);
    expect(isUndecodable('ferry:undecodable')).toBe(false);
    expect(isUndecodable(null)).toBe(false);
  });

  test("the converter's own marker, at its bounds, is still recognised", () => {
    expect(parseMessage(schema, { [UNDECODABLE]: { encoding: 'e'.repeat(ENCODING_CHARS), bytes: 0, problem: 'p'.repeat(PROBLEM_CHARS) } })).toEqual({
      ok: false,
      reason: `could not be decoded (encoding ${'e'.repeat(ENCODING_CHARS)}, 0 bytes): send JSON (json/plain)`,
    });
  });
});

describe('refusal', () => {
  test('what is kept: name, time, reason, the sender the payload names, and the payload as JSON', () => {
    expect(refusal('approve', 'approver: not allowed', { environment: 'production', approver: 'mallory' }, AT)).toEqual({
      name: 'approve',
      at: AT,
      reason: 'approver: not allowed',
      from: 'mallory',
      payload: '{"environment":"production","approver":"mallory"}',
    });
  });

  describe('the payload preview', () => {
    // `"` + body + `"` is the JSON of a string: 2 characters more than the body.
    const jsonOfLength = (length: number) => 'x'.repeat(length - 2);

    test(`exactly ${PAYLOAD_PREVIEW_CHARS} characters of JSON: kept whole`, () => {
      const { payload } = refusal('approve', 'bad', jsonOfLength(PAYLOAD_PREVIEW_CHARS), AT);
      expect(payload).toBe(JSON.stringify(jsonOfLength(PAYLOAD_PREVIEW_CHARS)));
      expect(payload).toHaveLength(PAYLOAD_PREVIEW_CHARS);
    });

    test('one character more: cut, saying how many were left out', () => {
      const { payload } = refusal('approve', 'bad', jsonOfLength(PAYLOAD_PREVIEW_CHARS + 1), AT);
      expect(payload).toBe(`"${'x'.repeat(PAYLOAD_PREVIEW_CHARS - 1)}… (1 more characters)`);
    });

    test('a megabyte comment: a few hundred characters', () => {
      const comment = 'y'.repeat(1024 * 1024);
      const { payload } = refusal('approve', 'bad', { environment: 'production', approver: 'sam', comment }, AT);
      const json = JSON.stringify({ environment: 'production', approver: 'sam', comment });
      expect(payload).toBe(`${json.slice(0, PAYLOAD_PREVIEW_CHARS)}… (${json.length - PAYLOAD_PREVIEW_CHARS} more characters)`);
    });

    test('no payload: none kept', () => {
      expect(refusal('abort', 'bad', undefined, AT)).toEqual({ name: 'abort', at: AT, reason: 'bad', from: undefined, payload: undefined });
    });

    test('null and other JSON values as JSON', () => {
      expect(refusal('abort', 'bad', null, AT).payload).toBe('null');
      expect(refusal('abort', 'bad', 0, AT).payload).toBe('0');
      expect(refusal('abort', 'bad', false, AT).payload).toBe('false');
      expect(refusal('abort', 'bad', '', AT).payload).toBe('""');
    });

    test('a value JSON cannot hold (a BigInt, a cycle): said so, not thrown', () => {
      expect(refusal('approve', 'bad', { approver: 'sam', n: BigInt(1) }, AT).payload).toBe('(not serialisable)');
      const cycle: Record<string, unknown> = {};
      cycle.self = cycle;
      expect(refusal('approve', 'bad', cycle, AT).payload).toBe('(not serialisable)');
    });

    test('an undecodable payload: its encoding; bytes: their count', () => {
      expect(refusal('approve', 'could not be decoded', undecodable('json/plain', 15), AT)).toEqual({
        name: 'approve',
        at: AT,
        reason: 'could not be decoded',
        from: undefined,
        payload: '(undecodable: json/plain)',
      });
      expect(refusal('approve', 'is binary', new Uint8Array(3), AT).payload).toBe('(3 bytes)');
    });
  });

  describe('the reason and the name', () => {
    test(`a reason of exactly ${REASON_CHARS} characters is kept whole; one more is cut`, () => {
      expect(refusal('approve', 'r'.repeat(REASON_CHARS), undefined, AT).reason).toBe('r'.repeat(REASON_CHARS));
      expect(refusal('approve', 'r'.repeat(REASON_CHARS + 1), undefined, AT).reason).toBe(`${'r'.repeat(REASON_CHARS)}… (1 more characters)`);
    });

    test('a signal name of 100 characters is kept whole; a longer one is cut', () => {
      expect(refusal('n'.repeat(100), 'unknown signal', undefined, AT).name).toBe('n'.repeat(100));
      expect(refusal('n'.repeat(5000), 'unknown signal', undefined, AT).name).toBe(`${'n'.repeat(100)}… (4900 more characters)`);
    });
  });

  describe('the sender', () => {
    const from = (raw: unknown) => refusal('approve', 'bad', raw, AT).from;

    test('the approver a payload names, trimmed', () => {
      expect(from({ approver: '  olivia ', by: 'sam' })).toBe('olivia');
    });

    test('or who it says it is by (an abort)', () => {
      expect(from({ by: 'sam', reason: 'x' })).toBe('sam');
    });

    test('nobody when the name is not a string, is blank, or the payload is not an object', () => {
      expect(from({ approver: 42 })).toBeUndefined();
      expect(from({ approver: ['olivia'] })).toBeUndefined();
      expect(from({ by: { name: 'sam' } })).toBeUndefined();
      expect(from({ approver: ' \n\t' })).toBeUndefined();
      expect(from({ approver: '' })).toBeUndefined();
      expect(from('olivia')).toBeUndefined();
      expect(from(['olivia'])).toBeUndefined();
      expect(from(null)).toBeUndefined();
      expect(from(undefined)).toBeUndefined();
      expect(from(undecodable('json/plain', 3))).toBeUndefined();
    });

    test('an approver that is there but not a name hides `by`: the payload is ambiguous, nobody is named', () => {
      expect(from({ approver: 42, by: 'sam' })).toBeUndefined();
      expect(from({ approver: '  ', by: 'sam' })).toBeUndefined();
    });

    test('an approver of null or undefined is no approver: `by` names the sender', () => {
      expect(from({ approver: null, by: 'sam' })).toBe('sam');
      expect(from({ approver: undefined, by: 'sam' })).toBe('sam');
    });

    test('a name of 200 characters is kept whole; a longer one is cut', () => {
      expect(from({ approver: 'a'.repeat(200) })).toBe('a'.repeat(200));
      expect(from({ approver: 'a'.repeat(201) })).toBe(`${'a'.repeat(200)}… (1 more characters)`);
    });
  });
});

describe('keepRefusal', () => {
  const entry = (n: number): IgnoredMessage => ({ name: 'approve', at: AT, reason: `refusal ${n}` });
  const reasons = (list: IgnoredMessage[]) => list.map((m) => m.reason);

  test('adds to the end and counts', () => {
    const list: IgnoredMessage[] = [];
    expect(keepRefusal(list, entry(1), 0)).toBe(1);
    expect(keepRefusal(list, entry(2), 1)).toBe(2);
    expect(reasons(list)).toEqual(['refusal 1', 'refusal 2']);
  });

  test(`exactly ${IGNORED_KEPT}: all kept`, () => {
    const list: IgnoredMessage[] = [];
    let count = 0;
    for (let n = 1; n <= IGNORED_KEPT; n++) count = keepRefusal(list, entry(n), count);
    expect(count).toBe(IGNORED_KEPT);
    expect(reasons(list)).toEqual(Array.from({ length: IGNORED_KEPT }, (_, i) => `refusal ${i + 1}`));
  });

  test('one over: the oldest is dropped, the count keeps rising', () => {
    const list: IgnoredMessage[] = [];
    let count = 0;
    for (let n = 1; n <= IGNORED_KEPT + 1; n++) count = keepRefusal(list, entry(n), count);
    expect(count).toBe(IGNORED_KEPT + 1);
    expect(list).toHaveLength(IGNORED_KEPT);
    expect(list[0].reason).toBe('refusal 2');
    expect(list.at(-1)!.reason).toBe(`refusal ${IGNORED_KEPT + 1}`);
  });

  test('many more: still the latest, the count of all', () => {
    const list: IgnoredMessage[] = [];
    let count = 0;
    for (let n = 1; n <= 1000; n++) count = keepRefusal(list, entry(n), count);
    expect(count).toBe(1000);
    expect(reasons(list)).toEqual(Array.from({ length: IGNORED_KEPT }, (_, i) => `refusal ${1000 - IGNORED_KEPT + 1 + i}`));
  });

  test('a list over the bound (an older status) is brought back to it', () => {
    const list = Array.from({ length: IGNORED_KEPT + 5 }, (_, i) => entry(i + 1));
    expect(keepRefusal(list, entry(99), 40)).toBe(41);
    expect(list).toHaveLength(IGNORED_KEPT);
    expect(list.at(-1)!.reason).toBe('refusal 99');
    expect(list[0].reason).toBe('refusal 7');
  });
});
