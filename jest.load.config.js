/** `npm run test:load`: the load scenarios of test/load/, on the built app as a process; not part of `npm test`. */
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/load/**/*.load.ts'],
  testTimeout: 300000,
  maxWorkers: 1,
};
