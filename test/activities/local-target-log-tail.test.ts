// What the local target quotes of a process's log (issue 11): the tail goes into errors and
// snapshot problems, so into workflow history, once for each process that died. Real files.
import fs from 'node:fs';
import path from 'node:path';
import { logTail } from '../../activities/targets/local/app-process';
import { removeTempDirs, tempDir } from '../helpers/git-repo';

const dir = tempDir('log-tail');
let n = 0;
function logWith(content: string): string {
  const file = path.join(dir, `${n++}.log`);
  fs.writeFileSync(file, content);
  return file;
}

afterAll(() => removeTempDirs());

test('the last 20 lines, masked', () => {
  const lines = Array.from({ length: 30 }, (_, i) => `line ${i} secret-${i}`);
  const tail = logTail(logWith(`${lines.join('\n')}\n`), (text) => text.replace(/secret-\d+/g, '***'));
  expect(tail.split('\n')).toEqual(lines.slice(10).map((line) => line.replace(/secret-\d+/, '***')));
});

test('a missing or empty log reads as no output', () => {
  expect(logTail(path.join(dir, 'missing.log'))).toBe('(no output)');
  expect(logTail(logWith(''))).toBe('(no output)');
});

test('each line is cut at 2,000 characters, and the whole tail at 8 KB, keeping the last lines', () => {
  const long = Array.from({ length: 25 }, (_, i) => `${i}:${'x'.repeat(2_500)}`);
  const tail = logTail(logWith(`${long.join('\n')}\nthe last words\n`));
  const lines = tail.split('\n');
  expect(lines.at(-1)).toBe('the last words');
  expect(lines.every((line) => line.length <= 2_001)).toBe(true);
  expect(lines[0]).toBe(`21:${'x'.repeat(1_997)}…`);
  expect(tail.length).toBeLessThanOrEqual(8 * 1024);
  expect(lines.length).toBe(5); // four cut lines and the last words: a fifth cut line would pass 8 KB
});

test('only the end of a log is read, however large it grew', () => {
  // A sparse file of 3 GB: more than a whole read could hold in one string.
  const file = path.join(dir, 'huge.log');
  fs.writeFileSync(file, 'the first line\n');
  fs.truncateSync(file, 3 * 1024 ** 3);
  fs.appendFileSync(file, '\nalmost done\nthe last words\n');
  expect(logTail(file)).toBe('almost done\nthe last words');
});
