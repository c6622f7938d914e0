import { MikroORM } from '@mikro-orm/core';
import { databaseOptions } from '../../src/database/database-options';
import { backends, createTestDatabase, TestDatabase } from '../support/test-database';

describe.each(backends())('migrations [%s]', (backend) => {
  let db: TestDatabase;
  let orm: MikroORM;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    orm = await MikroORM.init(databaseOptions(db));
  });

  afterAll(async () => {
    await orm?.close(true);
    await db?.drop();
  });

  it('creates a schema with no drift from the entities', async () => {
    await orm.getMigrator().up();
    expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
  });

  it('runs down and up again cleanly', async () => {
    await orm.getMigrator().down({ to: 0 });
    expect(await orm.getMigrator().getExecutedMigrations()).toHaveLength(0);
    await orm.getMigrator().up();
    expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
  });

  it('upgrades an instance with accounts to roles and quotas: the oldest account becomes admin, stored bytes are counted', async () => {
    await orm.getMigrator().down({ to: 0 });
    await orm.getMigrator().up({ to: 'Migration20261126110000_password_resets' });
    const sql = orm.em.getConnection();
    const user = (id: string, username: string, createdAt: string) =>
      sql.execute(
        'insert into users (id, username, username_key, email, password_hash, created_at) values (?, ?, ?, ?, ?, ?)',
        [id, username, username, `${username}@example.com`, 'x', createdAt],
        'run',
      );
    const photo = (id: string, ownerId: string, size: number, sha: string) =>
      sql.execute(
        "insert into photos (id, owner_id, display_name, content_type, size_bytes, width, height, sha256, uploaded_at, status) values (?, ?, 'p.jpg', 'image/jpeg', ?, 1, 1, ?, ?, 'ready')",
        [id, ownerId, size, sha, '2026-01-01 00:00:00'],
        'run',
      );
    await user('00000000-0000-4000-8000-000000000002', 'second', '2026-02-01 00:00:00');
    await user('00000000-0000-4000-8000-000000000001', 'first', '2026-01-01 00:00:00');
    await photo('10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', 1000, 'a');
    await photo('10000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000002', 234, 'b');

    await orm.getMigrator().up();
    const rows = await sql.execute('select username, role, used_bytes, quota_bytes, disabled_at from users order by username');
    expect(rows.map((r: Record<string, unknown>) => ({ ...r, used_bytes: Number(r.used_bytes) }))).toEqual([
      { username: 'first', role: 'admin', used_bytes: 0, quota_bytes: null, disabled_at: null },
      { username: 'second', role: 'user', used_bytes: 1234, quota_bytes: null, disabled_at: null },
    ]);
  });
});
