import { SchemaMigration } from './schema-migration';

/** The background job queue (src/jobs/). */
export class Migration20261202090000_jobs extends SchemaMigration {
  override async up(): Promise<void> {
    this.schema((schema) =>
      schema.createTable('jobs', (t) => {
        t.string('id', 100).notNullable().primary();
        t.string('type', 100).notNullable();
        t.text('payload').notNullable();
        t.string('state', 16).notNullable();
        t.datetime('run_after', { precision: 3 }).notNullable();
        t.integer('attempts').notNullable();
        t.text('last_error').nullable();
        t.string('lease_owner', 64).nullable();
        t.datetime('lease_until', { precision: 3 }).nullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.index(['state', 'run_after'], 'jobs_state_run_after_index');
        t.index(['state', 'lease_until'], 'jobs_state_lease_until_index');
      }),
    );
  }

  override async down(): Promise<void> {
    this.schema((schema) => schema.dropTable('jobs'));
  }
}
