import { Migration20261126090000_accounts } from './Migration20261126090000_accounts';
import { Migration20261126100000_photos } from './Migration20261126100000_photos';
import { Migration20261126110000_password_resets } from './Migration20261126110000_password_resets';
import { Migration20261126120000_roles_and_quotas } from './Migration20261126120000_roles_and_quotas';
import { Migration20261126121500_photo_uploader } from './Migration20261126121500_photo_uploader';
import { Migration20261202090000_jobs } from './Migration20261202090000_jobs';
import { Migration20261202100000_partial_uploads } from './Migration20261202100000_partial_uploads';

/**
 * Every migration, in order. Listed explicitly (not discovered from a folder) so the compiled app, the CLI and the
 * tests run exactly the same set. Add new ones at the end.
 */
export const migrationsList = [
  { name: 'Migration20261126090000_accounts', class: Migration20261126090000_accounts },
  { name: 'Migration20261126100000_photos', class: Migration20261126100000_photos },
  { name: 'Migration20261126110000_password_resets', class: Migration20261126110000_password_resets },
  { name: 'Migration20261126120000_roles_and_quotas', class: Migration20261126120000_roles_and_quotas },
  { name: 'Migration20261126121500_photo_uploader', class: Migration20261126121500_photo_uploader },
  { name: 'Migration20261202090000_jobs', class: Migration20261202090000_jobs },
  { name: 'Migration20261202100000_partial_uploads', class: Migration20261202100000_partial_uploads },
];
