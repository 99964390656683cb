// How the time to refuse a config grows with what it holds: a config with 100,000 variables against
// one with 1,000, measured in the same run. Linear work gives a ratio near 100; a check that
// compares every key with every other (yaml's own duplicate-key check did) gives about 10,000.
import { parseConfig } from '../common/parse-config';

function configWith(variables: number): string {
  const many = Object.fromEntries(Array.from({ length: variables }, (_, i) => [`V${i}`, 'x']));
  return `app: shop\nrepo: /r\nbuild: { command: make }\nenvironments:\n  - name: dev\n    target: { kind: local, start: "node server.js", port: 18081 }\n    variables: ${JSON.stringify(many)}\n`;
}

function msToRefuse(text: string): number {
  const started = process.hrtime.bigint();
  try {
    parseConfig(text);
  } catch {
    return Number(process.hrtime.bigint() - started) / 1e6;
  }
  throw new Error('the config was expected to be refused (over 100 variables)');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const small = configWith(1_000);
const large = configWith(100_000);
msToRefuse(small); // warm-up
const baseline = median([1, 2, 3].map(() => msToRefuse(small)));
const measured = median([1, 2, 3].map(() => msToRefuse(large)));
console.log(`refusing a config with 1,000 variables (baseline): median ${baseline.toFixed(1)} ms`);
console.log(`refusing a config with 100,000 variables: median ${measured.toFixed(1)} ms`);
console.log(`ratio: ${(measured / baseline).toFixed(0)}x baseline for 100x the variables`);
