import { MikroORM } from '@mikro-orm/core';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createUserCommand } from '../../src/cli/commands/create-user';
import { CliUsageError } from '../../src/cli/cli-command';
import { loadConfig } from '../../src/config/app-config';
import { databaseOptions } from '../../src/database/database-options';
import { spoolDirOf } from '../../src/photos/upload-spool';
import { User } from '../../src/users/user.entity';
import { backends, createTestDatabase, TestDatabase } from '../support/test-database';

/** `npm run cli -- create-user`, run in this process against a fresh database, with the operator's environment. */
describe.each(backends())('cli create-user [%s]', (backend) => {
  let db: TestDatabase;
  const saved = { ...process.env };
  let out: string[];

  const run = async (args: string[], password?: string) => {
    if (password === undefined) delete process.env.PASSWORD;
    else process.env.PASSWORD = password;
    out = [];
    return createUserCommand.run(args);
  };
  const users = async () => {
    const orm = await MikroORM.init(databaseOptions(loadConfig()));
    try {
      return await orm.em.fork().find(User, {}, { orderBy: { createdAt: 'asc' }, populate: ['passwordHash'] });
    } finally {
      await orm.close();
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    process.env.DATA_DIR = db.dataDir;
    if (db.database.driver !== 'sqlite') process.env.DATABASE_URL = db.database.url;
    process.env.STORAGE_CHECK_ON_START = 'false';
    for (const method of ['log', 'error'] as const)
      jest.spyOn(console, method).mockImplementation((...args) => void out.push(args.join(' ')));
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    process.env = saved;
    await db?.drop();
  });

  it('creates an admin with --admin, reading the password from PASSWORD', async () => {
    expect(await run(['chief', 'Chief@Example.com', '--admin'], 'Sunny Day!42')).toBe(0);
    expect(out).toEqual(['Created admin chief <chief@example.com>. They can log in now.']);
    const [chief] = await users();
    expect(chief).toMatchObject({ username: 'chief', email: 'chief@example.com', role: 'admin' });
    expect(chief.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it('creates a regular user without --admin', async () => {
    expect(await run(['helper', 'helper@example.com'], 'Sunny Day!42')).toBe(0);
    expect(out).toEqual(['Created user helper <helper@example.com>. They can log in now.']);
  });

  it('applies the register page rules and says what is wrong', async () => {
    expect(await run(['newbie', 'not-an-email'], 'password')).toBe(1);
    expect(out.join('\n')).toBe(
      [
        'The account was not created:',
        '  - Enter a valid email address, like name@example.com.',
        '  - Password must contain at least one uppercase letter.',
        '  - Password must contain at least one special character, such as ! ? # or a space.',
      ].join('\n'),
    );
    expect(await run(['Chief', 'other@example.com'], 'Sunny Day!42')).toBe(1);
    expect(out.join('\n')).toContain('That username is already taken. Choose another one.');
    expect(await users()).toHaveLength(2);
  });

  it('never takes the password as an argument, and needs one from PASSWORD or a terminal', async () => {
    await expect(run(['someone', 'someone@example.com', 'Sunny Day!42'], 'Sunny Day!42')).rejects.toThrow(CliUsageError);
    // Jest's stdin is not a terminal, so there is nobody to ask.
    expect(await run(['someone', 'someone@example.com'])).toBe(2);
    expect(out).toEqual(['No password: set the PASSWORD environment variable, or run the command in a terminal to be asked for one.']);
    expect(await users()).toHaveLength(2);
  });

  it("leaves this instance's temporary upload files alone: a command is not the instance starting, whose uploads may be in flight", async () => {
    const spool = spoolDirOf(loadConfig());
    await mkdir(spool, { recursive: true });
    await writeFile(join(spool, 'in-flight.upload'), 'bytes');
    expect(await run(['spooler', 'spooler@example.com'], 'Sunny Day!42')).toBe(0);
    expect(await readdir(spool)).toEqual(['in-flight.upload']);
  });
});
