/** @type {import('jest').Config} */
// The AWS SDK's notice that its 2027 releases need Node 22 is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    // feed (the Atom writer) ships ES modules only; Node and esbuild load it as it is, jest's CommonJS needs it compiled.
    '/node_modules/feed/.+\\.js$': ['ts-jest', { diagnostics: false, tsconfig: { allowJs: true, module: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!feed/)'],
  setupFiles: ['<rootDir>/local/polyfills.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.cjs',
  testTimeout: 120000,
  maxWorkers: 2,
};
