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
});
