/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest'] },
  // @kubernetes/client-node and the packages it imports ship ES modules only, and jest on
  // Node 20 cannot require() them: it compiles just those to CommonJS, the rest of
  // node_modules stays as published.
  transformIgnorePatterns: ['/node_modules/(?!(@kubernetes/client-node|openid-client|oauth4webapi|jose|jsonpath-plus|rfc4648)/)'],
  // One Kubernetes control plane for the whole run, when it includes a Kubernetes test (test/kubernetes/).
  globalSetup: '<rootDir>/test/kubernetes/global-setup.js',
  globalTeardown: '<rootDir>/test/kubernetes/global-teardown.js',
  // Workflow tests start real Temporal servers; give them room on a shared 2-core machine.
  testTimeout: 120_000,
  maxWorkers: 2,
};
