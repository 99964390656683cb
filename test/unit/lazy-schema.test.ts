import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseMessage } from '../../common/inbound-message';
import { lazySchema } from '../../common/lazy-schema';

// A lazy schema is the eager one, built later: the same answers and errors, built once per
// process or worker thread, and only when something reads it.

const eager = z.object({ approver: z.string().trim().min(1, 'must name a person').max(5, 'must be at most 5 characters') }).strict();

let names = 0;
const unusedName = () => `test-${names++}`;

function counted(name = unusedName()) {
  let builds = 0;
  const schema = lazySchema(name, (zod) => {
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
    const schema = lazySchema(unusedName(), (): z.ZodString => {
      throw new Error('bad schema');
    });
    expect(() => schema.parse('x')).toThrow('bad schema');
    expect(() => schema.parse('x')).toThrow('bad schema');
  });

  // What a workflow sees when its schema module is evaluated again for it (the SDK does that for
  // every workflow): the schema built for an earlier one, not a second copy of it.
  test('a schema module evaluated again gets the schema already built under that name', () => {
    const name = unusedName();
    const first = counted(name);
    first.schema.parse({ approver: 'ann' });
    const again = counted(name);
    expect(again.schema.parse({ approver: 'bob' })).toEqual({ approver: 'bob' });
    expect(again.schema.safeParse({ approver: 'olivia' }).error?.issues).toEqual(eager.safeParse({ approver: 'olivia' }).error?.issues);
    expect(again.builds()).toBe(0);
    expect(first.builds()).toBe(1);
    expect(again.schema._zod).toBe(first.schema._zod);
  });

  test('refuses to be changed: every workflow on the thread shares it', () => {
    const { schema } = counted();
    expect(() => Object.assign(schema, { parse: () => 'forged' })).toThrow(TypeError);
    expect(schema.parse({ approver: 'ann' })).toEqual({ approver: 'ann' });
  });

  test('a name given again with another build is refused, naming it', () => {
    const name = unusedName();
    counted(name);
    expect(() => lazySchema(name, (zod) => zod.string())).toThrow(`two schemas are named "${name}"`);
  });

  test('every lazy schema in the code has a name of its own', () => {
    const root = path.join(__dirname, '..', '..');
    const sources = ['common', 'workflows', 'activities', 'client', 'worker', 'git'].flatMap((dir) =>
      fs
        .readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts') && path.join(dir, file) !== path.join('common', 'lazy-schema.ts'))
        .map((file) => fs.readFileSync(path.join(root, dir, file), 'utf8')),
    );
    const calls = sources.flatMap((text) => [...text.matchAll(/\blazySchema\s*[(<]/g)]).length;
    const names = sources.flatMap((text) => [...text.matchAll(/\blazySchema\(\s*'([^']+)'/g)].map((match) => match[1]));
    // Every call names its schema with a literal, so that this test sees every name.
    expect(names.length).toBe(calls);
    expect(names.length).toBeGreaterThanOrEqual(18);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });
});
