// Lints the snippets given on stdin ([{ filePath, code }], each as if it were the file at
// filePath) with the project's ESLint config, and prints the rules each one breaks as JSON.
// test/style/lint.test.ts runs it in a child process: jest cannot load ESLint's ESM config.
import { ESLint } from 'eslint';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const probes = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const eslint = new ESLint({ cwd: process.cwd() });
const results = [];
for (const { filePath, code } of probes) {
  const [result] = await eslint.lintText(code, { filePath });
  results.push(result.messages.map((m) => m.ruleId ?? m.message));
}
process.stdout.write(JSON.stringify(results));
