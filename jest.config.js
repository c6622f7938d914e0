/** Unit and HTTP tests. Each HTTP suite runs on SQLite, and on MySQL/MariaDB when TEST_DATABASE_URL is set. */
module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testTimeout: 30000,
  moduleNameMapper: { '^file-type$': '<rootDir>/test/support/file-type.bridge.ts' },
};
