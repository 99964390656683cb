// The promise count's reading of a bundle: which source made a promise is only as good as this.
import path from 'node:path';
import { inlineSourceMap, inRepository } from '../../bench/orchestration/promise-count';

test("a bundle's inline source map is read from its last line", () => {
  const map = { version: 3, file: 'bundle.js', sources: ['webpack://ferry/./workflows/stage.ts'], names: [], mappings: 'AAAA' };
  const code = `stage();\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
  expect(inlineSourceMap(code)).toEqual(map);
});

test('a bundle without one is refused, saying why', () => {
  expect(() => inlineSourceMap('stage();\n//# sourceMappingURL=bundle.js.map\n')).toThrow(/no inline source map/);
});

test("a source is named as the repository names it, whether webpack's or the machine's path", () => {
  expect(inRepository('webpack://ferry/./workflows/stage.ts')).toBe('workflows/stage.ts');
  expect(inRepository(path.join(process.cwd(), 'bench', 'orchestration', 'floor-workflow.ts'))).toBe('bench/orchestration/floor-workflow.ts');
  expect(inRepository('workflows/stage.ts')).toBe('workflows/stage.ts');
});
