import { Migration20261126090000_accounts } from './Migration20261126090000_accounts';

/**
 * Every migration, in order. Listed explicitly (not discovered from a folder) so the compiled app, the CLI and the
 * tests run exactly the same set. Add new ones at the end.
 */
export const migrationsList = [
  { name: 'Migration20261126090000_accounts', class: Migration20261126090000_accounts },
];
