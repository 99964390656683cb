/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest'] },
  // Workflow tests start real Temporal servers; give them room on a shared 2-core machine.
  testTimeout: 120_000,
  maxWorkers: 2,
};
