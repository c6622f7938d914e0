/** Unit and HTTP tests. Each HTTP suite runs on SQLite, and on MySQL/MariaDB when TEST_DATABASE_URL is set. */
module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    // @tus/* and srvx are ES modules, which jest's require() cannot load (the compiled app's Node 20.19+ require can):
    // compiled to CommonJS for the tests only.
    '^.+\\.m?js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', esModuleInterop: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@tus|srvx)/)'],
  testTimeout: 30000,
  moduleNameMapper: { '^file-type$': '<rootDir>/test/support/file-type.bridge.ts' },
};
