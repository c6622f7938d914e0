import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, hostname, tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/app-config';
import { withSessionSecret } from '../../src/config/session-secret';

type Env = Record<string, string | undefined>;

const SECRET_32 = 'x'.repeat(32);

function configError(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`loadConfig(${JSON.stringify(env)}) did not throw`);
}

describe(loadConfig.name, () => {
  it('uses development defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(isAbsolute(config.dataDir)).toBe(true);
    expect(config.dataDir).toMatch(/\/data$/);
    expect(config).toEqual({
      env: 'development',
      port: 3000,
      baseUrl: 'http://localhost:3000',
      dataDir: config.dataDir,
      database: { driver: 'sqlite', file: join(config.dataDir, 'photosphere.sqlite') },
      sessionSecret: undefined,
      sessionIdleMs: 30 * 60_000,
      sessionAbsoluteMs: 12 * 3_600_000,
      rememberMeMs: 30 * 86_400_000,
      trustProxy: false,
      secureCookies: false,
      storage: { driver: 'local', root: join(config.dataDir, 'photos') },
      mail: { smtpUrl: undefined, from: 'Photosphere <photosphere@localhost>', outboxDir: join(config.dataDir, 'outbox') },
      passwordResetMs: 30 * 60_000,
      defaultQuotaBytes: null,
      storageCheckOnStart: true,
      storageCheckIntervalMs: 24 * 3_600_000,
      role: 'all',
      jobs: { concurrency: availableParallelism(), pollMs: 5000 },
      uploads: {
        maxFileBytes: 50 * 1024 * 1024,
        maxFiles: 100,
        maxPixels: 100_000_000,
        maxConcurrent: 4,
        maxConcurrentPerAccount: 3,
        idleMs: 30_000,
      },
      server: { headersTimeoutMs: 20_000, requestTimeoutMs: 900_000, keepAliveTimeoutMs: 5000, shutdownGraceMs: 25_000 },
      instanceId: `${hostname()}:3000`,
    });
  });

  it('switches photo storage to Azure with a connection string, in the container "photos" unless named', () => {
    const cs = 'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net';
    expect(loadConfig({ AZURE_STORAGE_CONNECTION_STRING: cs }).storage).toEqual({
      driver: 'azure',
      connectionString: cs,
      container: 'photos',
    });
    expect(loadConfig({ AZURE_STORAGE_CONNECTION_STRING: cs, AZURE_STORAGE_CONTAINER: 'family-photos' }).storage).toMatchObject({
      container: 'family-photos',
    });
  });

  it.each([
    ['AZURE_STORAGE_CONNECTION_STRING', { AZURE_STORAGE_CONNECTION_STRING: 'nonsense' }],
    ['AZURE_STORAGE_CONTAINER', { AZURE_STORAGE_CONNECTION_STRING: 'AccountName=a;AccountKey=b', AZURE_STORAGE_CONTAINER: 'Bad_Name' }],
    ['MAX_UPLOAD_MB', { MAX_UPLOAD_MB: '0' }],
    ['MAX_UPLOAD_FILES', { MAX_UPLOAD_FILES: 'many' }],
    ['MAX_IMAGE_MEGAPIXELS', { MAX_IMAGE_MEGAPIXELS: '-5' }],
    ['STORAGE_CHECK_ON_START', { STORAGE_CHECK_ON_START: 'maybe' }],
    ['SMTP_URL', { SMTP_URL: 'mail.example.org' }],
    ['MAIL_FROM', { MAIL_FROM: 'not an address' }],
    ['PASSWORD_RESET_MINUTES', { PASSWORD_RESET_MINUTES: '1' }],
    ['DEFAULT_QUOTA_MB', { DEFAULT_QUOTA_MB: '0' }],
    ['DEFAULT_QUOTA_MB', { DEFAULT_QUOTA_MB: '1.5' }],
    ['MAX_CONCURRENT_UPLOADS', { MAX_CONCURRENT_UPLOADS: '0' }],
    ['MAX_CONCURRENT_UPLOADS_PER_ACCOUNT', { MAX_CONCURRENT_UPLOADS_PER_ACCOUNT: '0' }],
    ['UPLOAD_IDLE_SECONDS', { UPLOAD_IDLE_SECONDS: '0' }],
    ['UPLOAD_IDLE_SECONDS', { UPLOAD_IDLE_SECONDS: 'half a minute' }],
    ['HEADERS_TIMEOUT_SECONDS', { HEADERS_TIMEOUT_SECONDS: 'soon' }],
    ['REQUEST_TIMEOUT_SECONDS', { REQUEST_TIMEOUT_SECONDS: '0' }],
    ['KEEP_ALIVE_TIMEOUT_SECONDS', { KEEP_ALIVE_TIMEOUT_SECONDS: '-1' }],
    ['SHUTDOWN_GRACE_SECONDS', { SHUTDOWN_GRACE_SECONDS: '1.5' }],
    ['INSTANCE_ID', { INSTANCE_ID: 'two words' }],
  ])('names %s when its value is bad', (variable, env) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${variable} `));
  });

  it('reads the default quota of new accounts in MB, none when unset', () => {
    expect(loadConfig({ DEFAULT_QUOTA_MB: '2048' }).defaultQuotaBytes).toBe(2048 * 1024 * 1024);
    expect(loadConfig({ DEFAULT_QUOTA_MB: ' ' }).defaultQuotaBytes).toBeNull();
  });

  it('reads the server timeouts, the shutdown grace period and the instance id', () => {
    const env = {
      HEADERS_TIMEOUT_SECONDS: '10',
      REQUEST_TIMEOUT_SECONDS: '3600',
      KEEP_ALIVE_TIMEOUT_SECONDS: '65',
      SHUTDOWN_GRACE_SECONDS: '0',
    };
    expect(loadConfig(env).server).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 3_600_000,
      keepAliveTimeoutMs: 65_000,
      shutdownGraceMs: 0,
    });
    expect(loadConfig({ INSTANCE_ID: 'web-1', PORT: '8080' }).instanceId).toBe('web-1');
    expect(loadConfig({ PORT: '8080' }).instanceId).toBe(`${hostname()}:8080`);
  });

  it('reads the process role, the job workers and the storage check schedule', () => {
    expect(loadConfig({ ROLE: 'worker', JOB_CONCURRENCY: '3', JOB_POLL_SECONDS: '2', STORAGE_CHECK_HOURS: '0' })).toMatchObject({
      role: 'worker',
      jobs: { concurrency: 3, pollMs: 2000 },
      storageCheckIntervalMs: 0,
    });
    expect(loadConfig({ ROLE: 'web' }).role).toBe('web');
    expect(() => loadConfig({ ROLE: 'both' })).toThrow('ROLE must be one of web, worker, all (got "both").');
    expect(() => loadConfig({ JOB_CONCURRENCY: '0' })).toThrow('JOB_CONCURRENCY must be a whole number from 1 to 1000');
  });

  it('reads upload limits', () => {
    const env = {
      MAX_UPLOAD_MB: '10',
      MAX_UPLOAD_FILES: '5',
      MAX_IMAGE_MEGAPIXELS: '40',
      MAX_CONCURRENT_UPLOADS: '2',
      MAX_CONCURRENT_UPLOADS_PER_ACCOUNT: '1',
      UPLOAD_IDLE_SECONDS: '5',
    };
    expect(loadConfig(env).uploads).toEqual({
      maxFileBytes: 10 * 1024 * 1024,
      maxFiles: 5,
      maxPixels: 40_000_000,
      maxConcurrent: 2,
      maxConcurrentPerAccount: 1,
      idleMs: 5000,
    });
  });

  it('derives the default base URL from PORT', () => {
    expect(loadConfig({ PORT: '8080' })).toMatchObject({ port: 8080, baseUrl: 'http://localhost:8080' });
  });

  it('keeps the SQLite file in DATA_DIR', () => {
    expect(loadConfig({ DATA_DIR: '/srv/photos' })).toMatchObject({
      dataDir: '/srv/photos',
      database: { driver: 'sqlite', file: '/srv/photos/photosphere.sqlite' },
    });
  });

  it.each([
    ['mysql://user:secret@db:3306/photosphere', 'mysql'],
    ['mariadb://user:secret@db:3306/photosphere', 'mariadb'],
  ])('reads DATABASE_URL %s as the %s driver', (url, driver) => {
    expect(loadConfig({ DATABASE_URL: url }).database).toEqual({ driver, url });
  });

  it.each([
    ['DATABASE_URL', 'postgres://user:secret@db:5432/photosphere'],
    ['DATABASE_URL', 'not a url'],
    ['DATABASE_URL', 'mysql://user:secret@db:3306'],
    ['DATABASE_URL', 'mysql://user:secret@db:3306/'],
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['NODE_ENV', 'staging'],
    ['BASE_URL', 'ftp://x'],
    ['BASE_URL', 'nope'],
    ['SESSION_IDLE_MINUTES', '0'],
    ['SESSION_IDLE_MINUTES', 'ten'],
    ['SESSION_ABSOLUTE_HOURS', '0'],
    ['REMEMBER_ME_DAYS', '0'],
    ['REMEMBER_ME_DAYS', '366'],
    ['SESSION_SECRET', 'x'.repeat(31)],
  ])('rejects %s=%j', (variable, value) => {
    const error = configError({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
  });

  describe('in production', () => {
    it.each([
      ['missing', undefined],
      ['blank', '   '],
      ['31 characters long', 'x'.repeat(31)],
    ])('requires SESSION_SECRET (rejects it %s)', (_, secret) => {
      const error = configError({ NODE_ENV: 'production', SESSION_SECRET: secret });
      expect(error.variable).toBe('SESSION_SECRET');
      expect(error.message).toContain('SESSION_SECRET');
    });

    it('accepts a 32-character SESSION_SECRET and turns on secure cookies', () => {
      expect(loadConfig({ NODE_ENV: 'production', SESSION_SECRET: SECRET_32 })).toMatchObject({
        env: 'production',
        sessionSecret: SECRET_32,
        secureCookies: true,
      });
    });
  });

  it.each([
    ['https://photos.example.org/', 'https://photos.example.org'],
    ['https://photos.example.org', 'https://photos.example.org'],
    ['http://example.org:8080/photos//', 'http://example.org:8080/photos'],
  ])('normalises BASE_URL %s to %s', (value, expected) => {
    expect(loadConfig({ BASE_URL: value }).baseUrl).toBe(expected);
  });

  it.each([
    [undefined, false],
    ['', false],
    ['false', false],
    ['true', true],
    ['1', 1],
    ['loopback', 'loopback'],
    ['10.0.0.1, 10.0.0.2', '10.0.0.1, 10.0.0.2'],
  ])('reads TRUST_PROXY=%j as %j', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toBe(expected);
  });

  it('reads the session lifetimes in minutes, hours and days', () => {
    expect(loadConfig({ SESSION_IDLE_MINUTES: '5', SESSION_ABSOLUTE_HOURS: '2', REMEMBER_ME_DAYS: '7' })).toMatchObject({
      sessionIdleMs: 300_000,
      sessionAbsoluteMs: 7_200_000,
      rememberMeMs: 7 * 86_400_000,
    });
  });
});

describe(withSessionSecret.name, () => {
  let tempDir: string;

  beforeEach(() => {
    tempDir = mkdtempSync(join(tmpdir(), 'photosphere-config-'));
  });

  afterEach(() => {
    rmSync(tempDir, { recursive: true, force: true });
  });

  it('generates a secret once, keeps it in DATA_DIR with mode 0600 and reuses it', () => {
    const dataDir = join(tempDir, 'data');
    const config = loadConfig({ DATA_DIR: dataDir });

    const first = withSessionSecret(config);
    const file = join(dataDir, 'session-secret');
    expect(first.sessionSecret.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.sessionSecret);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    expect(withSessionSecret(config).sessionSecret).toBe(first.sessionSecret);
  });

  it('returns a configured secret and writes no file', () => {
    const dataDir = join(tempDir, 'data');
    const config = loadConfig({ DATA_DIR: dataDir, SESSION_SECRET: SECRET_32 });

    expect(withSessionSecret(config)).toEqual({ ...config, sessionSecret: SECRET_32 });
    expect(existsSync(join(dataDir, 'session-secret'))).toBe(false);
  });
});
