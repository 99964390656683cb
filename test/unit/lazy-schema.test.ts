import { z } from 'zod';
import { parseMessage } from '../../common/inbound-message';
import { lazySchema } from '../../common/lazy-schema';

// A lazy schema is the eager one, built later: the same answers and errors, built once per
// process or worker thread (whose workflows share it), and only when something reads it.

const eager = z.object({ approver: z.string().trim().min(1, 'must name a person').max(5, 'must be at most 5 characters') }).strict();

function counted() {
  let builds = 0;
  const schema = lazySchema((zod) => {
    builds++;
    return zod.object({ approver: zod.string().trim().min(1, 'must name a person').max(5, 'must be at most 5 characters') }).strict();
  });
  return { schema, builds: () => builds };
}

describe('lazySchema', () => {
  test('is not built until something reads it', () => {
    const { builds } = counted();
    expect(builds()).toBe(0);
  });

  test('is built on first use, once, whatever reads it after', () => {
    const { schema, builds } = counted();
    expect(schema.parse({ approver: ' olive ' })).toEqual({ approver: 'olive' });
    expect(builds()).toBe(1);
    schema.safeParse({});
    void schema.shape;
    z.array(schema).parse([{ approver: 'ann' }]);
    expect(builds()).toBe(1);
  });

  test.each([{ approver: '' }, { approver: 'olivia' }, { approver: 3 }, { approver: 'ann', extra: true }, {}, null, 'text'])('answers %j as the eager schema does, with the same issues', (input) => {
    const lazy = counted().schema.safeParse(input);
    const same = eager.safeParse(input);
    expect(lazy.success).toBe(same.success);
    expect(lazy.error?.issues).toEqual(same.error?.issues);
    expect(parseMessage(counted().schema, input)).toEqual(parseMessage(eager, input));
  });

  test('throws the same error from parse', () => {
    expect(() => counted().schema.parse({ approver: 'olivia' })).toThrow(z.ZodError);
    expect(() => counted().schema.parse({ approver: 'olivia' })).toThrow('must be at most 5 characters');
  });

  test('composes like any schema: inside another, extended, piped, and an instance of zod types', () => {
    const { schema } = counted();
    expect(schema).toBeInstanceOf(z.ZodType);
    expect(z.object({ who: schema }).safeParse({ who: { approver: 'olivia' } }).error?.issues[0]?.path).toEqual(['who', 'approver']);
    expect(schema.extend({ decision: z.literal('approve') }).parse({ approver: 'ann', decision: 'approve' })).toEqual({ approver: 'ann', decision: 'approve' });
    expect(
      z
        .string()
        .transform((text) => JSON.parse(text) as unknown)
        .pipe(schema)
        .safeParse('{"approver":"olivia"}').success,
    ).toBe(false);
  });

  test('a build that throws throws at first use, and again at the next', () => {
    const schema = lazySchema((): z.ZodString => {
      throw new Error('bad schema');
    });
    expect(() => schema.parse('x')).toThrow('bad schema');
    expect(() => schema.parse('x')).toThrow('bad schema');
  });

  test('stays a schema when the SDK freezes what a workflow thread shares: the freeze is refused, not the schema', () => {
    const { schema } = counted();
    expect(() => Object.freeze(schema)).toThrow(TypeError);
    expect(Object.isFrozen(schema)).toBe(false);
    expect(Object.getPrototypeOf(schema)).toBe(Object.getPrototypeOf(eager));
    expect(schema instanceof Object).toBe(true);
    expect(schema.parse({ approver: 'ann' })).toEqual({ approver: 'ann' });
  });

  test('refuses to be changed: every workflow on the thread shares it', () => {
    const { schema } = counted();
    expect(() => Object.assign(schema, { parse: () => 'forged' })).toThrow(TypeError);
    expect(schema.parse({ approver: 'ann' })).toEqual({ approver: 'ann' });
  });
});
