import { MikroORM, RequestContext } from '@mikro-orm/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import cookieParser from 'cookie-parser';
import express from 'express';
import passport from 'passport';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CsrfTokens } from './common/csrf/csrf-tokens';
import { useFlashCookie } from './common/flash/flash';
import { varyOnHtmx } from './common/htmx/htmx';
import { noStoreWhenLoggedIn } from './common/http/browser-cache';
import { requestLogger } from './common/http/request-logger';
import { securityHeaders } from './common/http/security-headers';
import { PROJECT_ROOT } from './common/project-root';
import { configureViews } from './common/views/view-engine';
import { viewLocals } from './common/views/view-locals';
import { AppConfig } from './config/app-config';
import { configureHttpServer } from './server/http-server';
import { workerOnly } from './server/worker-only';
import { DatabaseSessionStore } from './sessions/database-session.store';
import { siteCookie } from './sessions/session-cookie';
import { sessionMiddleware } from './sessions/session.middleware';

/** Bootstrap, Bootstrap Icons, htmx and tus-js-client are served from node_modules: no CDN, works offline and under the CSP. */
const VENDOR_ASSETS: Record<string, string> = {
  '/vendor/bootstrap': join(packageDir('bootstrap'), 'dist'),
  '/vendor/bootstrap-icons': join(packageDir('bootstrap-icons'), 'font'),
  '/vendor/htmx': join(packageDir('htmx.org'), 'dist'),
  '/vendor/tus': join(packageDir('tus-js-client'), 'dist'),
};

const UPLOADS_AT_ONCE = 3;

/** Everything Express-level the app needs, in order; shared by main.ts and the tests so both run the same app. */
export function configureApp(app: NestExpressApplication, config: AppConfig): void {
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use(requestLogger);
  if (config.role === 'worker') app.use(workerOnly);
  app.use(securityHeaders());
  for (const [prefix, dir] of Object.entries(VENDOR_ASSETS)) {
    app.use(prefix, express.static(dir, { maxAge: '7d', index: false }));
  }
  app.use(publicFiles());
  app.use(varyOnHtmx);
  // One MikroORM context per request, opened before the session store and passport touch the database.
  const orm = app.get(MikroORM);
  app.use((_req: express.Request, _res: express.Response, next: express.NextFunction) => RequestContext.create(orm.em, next));
  // Signed cookies (same secret as the session's) for what a visitor without a login needs: CSRF token, messages.
  app.use(cookieParser(config.sessionSecret));
  useFlashCookie(app, siteCookie(config, 'photosphere-flash'));
  app.use(sessionMiddleware(config, app.get(DatabaseSessionStore)));
  app.use(passport.session());
  app.use(noStoreWhenLoggedIn);
  app.use(viewLocals(app.get(CsrfTokens)));
  configureViews(app);
  // The upload panel sends three files at once, or fewer if one account may not have that many uploads in flight.
  app.setLocal('uploadsAtOnce', Math.min(UPLOADS_AT_ONCE, config.uploads.maxConcurrentPerAccount));
  app.useBodyParser('urlencoded', { extended: false, limit: '64kb' });
  configureHttpServer(app.getHttpServer(), config.server);
  // SIGTERM (or SIGINT…) → GracefulShutdown drains the server, the modules close, and the process exits with 0.
  app.enableShutdownHooks([], { useProcessExit: true });
}

/**
 * public/ at the site root, but only for paths under its own entries (/css/…, /js/…, /favicon.svg): other requests —
 * pages, health checks — never wait for a file lookup in libuv's thread pool, which password hashing can keep busy.
 */
function publicFiles(): express.RequestHandler {
  const dir = join(PROJECT_ROOT, 'public');
  const serve = express.static(dir, { maxAge: '1h', index: false });
  const entries = new Set(readdirSync(dir));
  return (req, res, next) => (entries.has(req.path.split('/')[1]) ? serve(req, res, next) : next());
}

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}
