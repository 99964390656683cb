// Every module a workflow loads is evaluated once per workflow thread and shared by every workflow
// on it (common/workflow-bundle.ts). The SDK freezes what those modules export (objects, arrays,
// functions), so a write to them throws; it does not reach what a module keeps unexported. What
// is checked here: a module `let` or `var`, a Map or Set it can fill, a class's static field. Each
// would be one value for every workflow on the thread, and a workflow that changed it would change
// what another one replays. A run keeps its own values with workflows/run-local.ts. Not checked:
// an unexported object or array a module changes in place (none does; constants are only read).

import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');

/** What may live in a shared module's scope though it can change: each is the same for every workflow. */
const SHARED_ON_PURPOSE: Record<string, string> = {
  'common/lazy-schema.ts zod': 'zod itself, loaded once',
  'common/freeze-windows.ts formatters': 'a date formatter per time zone: the same answers for any workflow',
};

const CONTAINERS = new Set(['Map', 'Set', 'WeakMap', 'WeakSet']);

/** Names of what `source` keeps in its module scope that could change after it is evaluated, each with why. */
function changeableModuleState(source: string, fileName = 'probe.ts'): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  for (const statement of file.statements) {
    if (ts.isVariableStatement(statement)) {
      const constant = (statement.declarationList.flags & ts.NodeFlags.Const) !== 0;
      for (const declaration of statement.declarationList.declarations) {
        const name = declaration.name.getText(file);
        if (!constant) found.push(`${name}: a module let/var`);
        else if (declaration.initializer && fillable(declaration, file)) found.push(`${name}: a Map or Set it can fill`);
      }
    }
    if (ts.isClassDeclaration(statement)) {
      for (const member of statement.members) {
        const modifiers = ts.canHaveModifiers(member) ? (ts.getModifiers(member) ?? []) : [];
        const isStatic = modifiers.some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
        const readonly = modifiers.some((m) => m.kind === ts.SyntaxKind.ReadonlyKeyword);
        if (isStatic && ts.isPropertyDeclaration(member) && !readonly) found.push(`${statement.name?.getText(file) ?? 'class'}.${member.name.getText(file)}: a static field`);
      }
    }
  }
  return found;
}

/** `new Map(…)`/`new Set(…)` (a WeakMap, a WeakSet) not typed read-only. */
function fillable(declaration: ts.VariableDeclaration, file: ts.SourceFile): boolean {
  const init = declaration.initializer;
  if (!init || !ts.isNewExpression(init) || !CONTAINERS.has(init.expression.getText(file))) return false;
  const type = declaration.type?.getText(file) ?? '';
  return !/^Readonly(Map|Set)\b/.test(type);
}

function workflowModules(): string[] {
  return ['workflows', 'common'].flatMap((dir) =>
    fs
      .readdirSync(path.join(ROOT, dir))
      .filter((file) => file.endsWith('.ts'))
      .map((file) => `${dir}/${file}`),
  );
}

describe('state a module shared by every workflow on a thread could hold', () => {
  test('none in workflows/ or common/, but what is shared on purpose', () => {
    const found = workflowModules().flatMap((file) =>
      changeableModuleState(fs.readFileSync(path.join(ROOT, file), 'utf8'), file)
        .map((what) => `${file} ${what}`)
        .filter((what) => !(what.split(':')[0] in SHARED_ON_PURPOSE)),
    );
    expect(found).toEqual([]);
    expect(workflowModules().length).toBeGreaterThan(40);
  });

  test('every exception is still there: none outlives its reason', () => {
    const present = workflowModules().flatMap((file) => changeableModuleState(fs.readFileSync(path.join(ROOT, file), 'utf8'), file).map((what) => `${file} ${what.split(':')[0]}`));
    expect(Object.keys(SHARED_ON_PURPOSE).filter((what) => !present.includes(what))).toEqual([]);
  });

  test.each([
    ['let taken: number | undefined;', ['taken: a module let/var']],
    ['var count = 0;', ['count: a module let/var']],
    ['export let a = 1, b = 2;', ['a: a module let/var', 'b: a module let/var']],
    ['const seen = new Set<string>();', ['seen: a Map or Set it can fill']],
    ['const byId = new Map();', ['byId: a Map or Set it can fill']],
    ['const held = new WeakMap<object, number>();', ['held: a Map or Set it can fill']],
    ['class Counter { static count = 0; }', ['Counter.count: a static field']],
  ])('finds %s', (source, expected) => {
    expect(changeableModuleState(source)).toEqual(expected);
  });

  test.each([
    'const LIMIT = 3;',
    "const NAMES: ReadonlySet<string> = new Set(['a']);",
    'const BY_ID: ReadonlyMap<string, number> = new Map();',
    'class Limits { static readonly max = 3; }',
    'function f() { let n = 0; const s = new Set(); return [n++, s]; }',
    'const list = [1, 2];',
  ])('lets %s be', (source) => {
    expect(changeableModuleState(source)).toEqual([]);
  });
});
