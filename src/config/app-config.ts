import { availableParallelism, hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';

export type StorageConfig = { driver: 'local'; root: string } | { driver: 'azure'; connectionString: string; container: string };

export interface UploadLimits {
  maxFileBytes: number;
  maxFiles: number;
  maxPixels: number;
  /** Upload requests handled at once by this instance; more get 503 with Retry-After. */
  maxConcurrent: number;
  /** Upload requests of one account handled at once by this instance; more get 429 with Retry-After. */
  maxConcurrentPerAccount: number;
  /** An upload whose client sends nothing for this long is ended (408) and cleaned up. */
  idleMs: number;
}

/** The Node HTTP server's limits and the graceful shutdown (see src/server/). */
export interface ServerConfig {
  /** A client must finish sending its request headers within this time. */
  headersTimeoutMs: number;
  /** A client must finish sending its whole request (a big upload included) within this time. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this time. */
  keepAliveTimeoutMs: number;
  /** After SIGTERM, requests in flight may finish within this time before the process exits. */
  shutdownGraceMs: number;
}

export interface MailConfig {
  /** smtp://user:pass@host:587 (or smtps://…); unset writes every email as an .eml file into `outboxDir`. */
  smtpUrl?: string;
  from: string;
  outboxDir: string;
}

/** What this process runs: the web server, the job workers, or both (see src/jobs/). */
export type ProcessRole = 'web' | 'worker' | 'all';

export interface JobsConfig {
  /** Jobs one instance runs at once. */
  concurrency: number;
  /** How often idle workers look for due jobs that no commit in this process announced (other instances, retries). */
  pollMs: number;
}

export type DatabaseConfig = { driver: 'sqlite'; file: string } | { driver: 'mysql' | 'mariadb'; url: string };

/** Everything Photosphere reads from its environment, parsed and checked once at start-up. */
export interface EnvConfig {
  env: 'development' | 'production' | 'test';
  port: number;
  baseUrl: string;
  dataDir: string;
  /** Names this process among instances sharing one database and storage; stable across its restarts. */
  instanceId: string;
  database: DatabaseConfig;
  storage: StorageConfig;
  mail: MailConfig;
  uploads: UploadLimits;
  server: ServerConfig;
  /** `web` serves pages and runs no jobs (it still enqueues them); `worker` runs jobs and answers only health checks. */
  role: ProcessRole;
  jobs: JobsConfig;
  /** How often the storage check runs (report only) through the jobs table; 0 is never. */
  storageCheckIntervalMs: number;
  /** Check storage against the database in the background at start-up (see StorageCheckService). */
  storageCheckOnStart: boolean;
  /** Required in production; elsewhere start-up generates one and keeps it in DATA_DIR (see session-secret.ts). */
  sessionSecret?: string;
  sessionIdleMs: number;
  sessionAbsoluteMs: number;
  /** How long a session lasts when "Keep me logged in" was ticked at login (from the login, however idle). */
  rememberMeMs: number;
  /** How long an emailed password reset link works. */
  passwordResetMs: number;
  /** Storage quota given to new accounts, in bytes; null is unlimited. */
  defaultQuotaBytes: number | null;
  /** Handed to Express's `trust proxy` setting; `false` trusts no proxy. */
  trustProxy: boolean | number | string;
  /** Secure cookies (and the `__Host-` cookie prefix) — on in production, where TLS is expected. */
  secureCookies: boolean;
}

/** The configuration the running app uses: the environment's, with the session secret resolved. */
export type AppConfig = EnvConfig & { sessionSecret: string };

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): EnvConfig {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'], 'development');
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const dataDir = absolute(env.DATA_DIR?.trim() || './data');
  const sessionSecret = env.SESSION_SECRET?.trim() || undefined;
  if (nodeEnv === 'production' && !sessionSecret) {
    throw new ConfigError('SESSION_SECRET', 'is required when NODE_ENV=production (use 32 or more random characters).');
  }
  if (sessionSecret !== undefined && sessionSecret.length < 32) {
    throw new ConfigError('SESSION_SECRET', 'must be at least 32 characters long.');
  }
  return {
    env: nodeEnv,
    port,
    baseUrl: baseUrl(env, port),
    dataDir,
    instanceId: instanceId(env, port),
    database: database(env, dataDir),
    storage: storage(env, dataDir),
    mail: mail(env, dataDir),
    storageCheckOnStart: boolean(env, 'STORAGE_CHECK_ON_START', true),
    storageCheckIntervalMs: integer(env, 'STORAGE_CHECK_HOURS', 24, 0, 24 * 365) * 3_600_000,
    role: oneOf(env, 'ROLE', ['web', 'worker', 'all'], 'all'),
    jobs: {
      concurrency: integer(env, 'JOB_CONCURRENCY', availableParallelism(), 1, 1000),
      pollMs: integer(env, 'JOB_POLL_SECONDS', 5, 1, 3600) * 1000,
    },
    uploads: {
      maxFileBytes: integer(env, 'MAX_UPLOAD_MB', 50, 1, 2047) * 1024 * 1024,
      maxFiles: integer(env, 'MAX_UPLOAD_FILES', 100, 1, 1000),
      maxPixels: integer(env, 'MAX_IMAGE_MEGAPIXELS', 100, 1, 1000) * 1_000_000,
      maxConcurrent: integer(env, 'MAX_CONCURRENT_UPLOADS', 4, 1, 1000),
      maxConcurrentPerAccount: integer(env, 'MAX_CONCURRENT_UPLOADS_PER_ACCOUNT', 3, 1, 1000),
      idleMs: integer(env, 'UPLOAD_IDLE_SECONDS', 30, 1, 3600) * 1000,
    },
    server: {
      headersTimeoutMs: integer(env, 'HEADERS_TIMEOUT_SECONDS', 20, 1, 600) * 1000,
      requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_SECONDS', 900, 1, 86_400) * 1000,
      keepAliveTimeoutMs: integer(env, 'KEEP_ALIVE_TIMEOUT_SECONDS', 5, 1, 600) * 1000,
      shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_SECONDS', 25, 0, 3600) * 1000,
    },
    sessionSecret,
    sessionIdleMs: integer(env, 'SESSION_IDLE_MINUTES', 30, 1, 60 * 24 * 30) * 60_000,
    sessionAbsoluteMs: integer(env, 'SESSION_ABSOLUTE_HOURS', 12, 1, 24 * 365) * 3_600_000,
    rememberMeMs: integer(env, 'REMEMBER_ME_DAYS', 30, 1, 365) * 86_400_000,
    passwordResetMs: integer(env, 'PASSWORD_RESET_MINUTES', 30, 5, 24 * 60) * 60_000,
    defaultQuotaBytes: env.DEFAULT_QUOTA_MB?.trim() ? integer(env, 'DEFAULT_QUOTA_MB', 0, 1, 100_000_000) * 1024 * 1024 : null,
    trustProxy: trustProxy(env.TRUST_PROXY),
    secureCookies: nodeEnv === 'production',
  };
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = env[name]?.trim();
  if (!value) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got "${value}").`);
  }
  return value as T;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = env[name]?.trim();
  if (!value) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max} (got "${value}").`);
  }
  return Number(value);
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const value = env[name]?.trim().toLowerCase();
  if (!value) return fallback;
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(name, `must be true or false (got "${value}").`);
}

function absolute(path: string): string {
  return isAbsolute(path) ? path : resolve(process.cwd(), path);
}

function baseUrl(env: Env, port: number): string {
  const value = env.BASE_URL?.trim();
  if (!value) return `http://localhost:${port}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('BASE_URL', `must be an absolute http(s) URL such as https://photos.example.org (got "${value}").`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('BASE_URL', `must start with http:// or https:// (got "${value}").`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

const INSTANCE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Host name and port by default: unique among running instances, and the same when one restarts in place. */
function instanceId(env: Env, port: number): string {
  const value = env.INSTANCE_ID?.trim() || `${hostname()}:${port}`.slice(-64);
  if (!INSTANCE_ID.test(value)) {
    throw new ConfigError('INSTANCE_ID', `must be 1–64 letters, digits and . _ : - (got "${value}").`);
  }
  return value;
}

function database(env: Env, dataDir: string): DatabaseConfig {
  const value = env.DATABASE_URL?.trim();
  if (!value) return { driver: 'sqlite', file: resolve(dataDir, 'photosphere.sqlite') };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('DATABASE_URL', 'must look like mysql://user:password@host:3306/database.');
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    throw new ConfigError(
      'DATABASE_URL',
      `must start with mysql:// or mariadb:// (got "${url.protocol}//…"); leave it unset for the embedded SQLite database.`,
    );
  }
  if (url.pathname.length <= 1) {
    throw new ConfigError('DATABASE_URL', 'must name a database, e.g. mysql://user:password@host:3306/photosphere.');
  }
  return { driver: url.protocol === 'mariadb:' ? 'mariadb' : 'mysql', url: url.toString() };
}

function mail(env: Env, dataDir: string): MailConfig {
  const smtpUrl = env.SMTP_URL?.trim() || undefined;
  if (smtpUrl && !/^smtps?:\/\/[^/\s]+/.test(smtpUrl)) {
    throw new ConfigError('SMTP_URL', 'must look like smtp://user:password@host:587 or smtps://user:password@host:465.');
  }
  const from = env.MAIL_FROM?.trim() || 'Photosphere <photosphere@localhost>';
  if (!/^[^<>\r\n]*<?[^\s@<>]+@[^\s@<>]+>?$/.test(from)) {
    throw new ConfigError('MAIL_FROM', `must be an address such as "Photosphere <photos@example.org>" (got "${from}").`);
  }
  const outboxDir = env.MAIL_OUTBOX_DIR?.trim() ? absolute(env.MAIL_OUTBOX_DIR.trim()) : resolve(dataDir, 'outbox');
  return { smtpUrl, from, outboxDir };
}

const AZURE_CONTAINER = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

function storage(env: Env, dataDir: string): StorageConfig {
  const connectionString = env.AZURE_STORAGE_CONNECTION_STRING?.trim();
  if (!connectionString) return { driver: 'local', root: resolve(dataDir, 'photos') };
  if (!/AccountName=|BlobEndpoint=|UseDevelopmentStorage=true/i.test(connectionString)) {
    throw new ConfigError(
      'AZURE_STORAGE_CONNECTION_STRING',
      'does not look like an Azure Storage connection string (DefaultEndpointsProtocol=…;AccountName=…;AccountKey=…).',
    );
  }
  const container = env.AZURE_STORAGE_CONTAINER?.trim() || 'photos';
  if (!AZURE_CONTAINER.test(container)) {
    throw new ConfigError('AZURE_STORAGE_CONTAINER', `must be 3–63 lower-case letters, digits and single hyphens (got "${container}").`);
  }
  return { driver: 'azure', connectionString, container };
}

function trustProxy(value: string | undefined): boolean | number | string {
  const trimmed = value?.trim();
  if (!trimmed || trimmed === 'false') return false;
  if (trimmed === 'true') return true;
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  return trimmed;
}
