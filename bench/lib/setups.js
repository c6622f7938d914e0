'use strict';
// The configurations the figures run in: the embedded default (SQLite + local disk), and MySQL/MariaDB + Azure
// Blob Storage (Azurite) when BENCH_DATABASE_URL is set. Every app start gets a fresh database and storage.
const { rmSync } = require('node:fs');
const { join } = require('node:path');
const { startApp } = require('./app-process');
const { startAzurite } = require('./azurite');

function embedded() {
  return {
    name: 'SQLite + local disk',
    async prepare() {},
    startApp: (env = {}) => startApp({ env }),
    /** The same database, data and address, in a new process (the old one stopped with keepData); it owns the data now. */
    restartApp: async (app, env = {}) => adopt(await startApp({ env, dataDir: app.dataDir, port: app.port })),
    database: (app) => ({ driver: 'sqlite', file: join(app.dataDir, 'photosphere.sqlite') }),
    baselineStorage: (app) => ({ driver: 'local', root: join(app.dataDir, 'baseline-photos') }),
    appStorage: (app) => ({ driver: 'local', root: join(app.dataDir, 'photos') }),
    async close() {},
  };
}

/** url: mariadb://user[:pass]@host:port/anything — databases bench_<pid>_<n> are created on it and dropped after. */
function mysqlAzure(url) {
  const parsed = new URL(url);
  const driver = parsed.protocol === 'mariadb:' ? 'mariadb' : 'mysql';
  const created = [];
  let azurite;
  let admin;
  let starts = 0;
  const urlFor = (db) => {
    const u = new URL(url);
    u.pathname = `/${db}`;
    return u.toString();
  };
  const dbOf = (app) => app.benchDatabase;
  const appEnv = (db, container) => ({
    DATABASE_URL: urlFor(db),
    AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    AZURE_STORAGE_CONTAINER: container,
  });
  const onDatabase = (app, db, container) => Object.assign(app, { benchDatabase: db, benchContainer: container });
  return {
    name: `${driver === 'mariadb' ? 'MariaDB' : 'MySQL'} + Azure Blob (Azurite)`,
    async prepare() {
      const mysql = require('mysql2/promise');
      admin = await mysql.createConnection({
        host: parsed.hostname,
        port: Number(parsed.port || 3306),
        user: decodeURIComponent(parsed.username),
        password: decodeURIComponent(parsed.password),
      });
      azurite = await startAzurite();
    },
    async startApp(env = {}) {
      const db = `bench_${process.pid}_${++starts}`;
      await admin.query(`CREATE DATABASE \`${db}\``);
      created.push(db);
      return onDatabase(await startApp({ env: { ...appEnv(db, `photos-${starts}`), ...env } }), db, `photos-${starts}`);
    },
    async restartApp(app, env = {}) {
      const again = await startApp({
        env: { ...appEnv(app.benchDatabase, app.benchContainer), ...env },
        dataDir: app.dataDir,
        port: app.port,
      });
      return adopt(onDatabase(again, app.benchDatabase, app.benchContainer));
    },
    database: (app) => ({ driver, url: urlFor(dbOf(app)) }),
    baselineStorage: (app) => ({
      driver: 'azure',
      connectionString: azurite.connectionString,
      container: `baseline-${app.benchContainer}`,
    }),
    appStorage: (app) => ({ driver: 'azure', connectionString: azurite.connectionString, container: app.benchContainer }),
    /** SQL statements the server has run so far (all connections): for counting queries per request. */
    async questions() {
      const [rows] = await admin.query("SHOW GLOBAL STATUS LIKE 'Questions'");
      return Number(rows[0].Value);
    },
    async close() {
      for (const db of created) await admin?.query(`DROP DATABASE IF EXISTS \`${db}\``).catch(() => undefined);
      await admin?.end().catch(() => undefined);
      await azurite?.stop();
    },
  };
}

/** An app started on another's DATA_DIR removes it when it stops, as the first one would have. */
function adopt(app) {
  const stop = app.stop;
  app.stop = async (options = {}) => {
    await stop(options);
    if (!options.keepData) rmSync(app.dataDir, { recursive: true, force: true });
  };
  return app;
}

module.exports = { embedded, mysqlAzure };
