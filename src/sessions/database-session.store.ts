import { MikroORM } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { Session as RequestSession, SessionData, Store } from 'express-session';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Clock, CLOCK } from '../common/time/clock';
import { Session } from './session.entity';

type Callback<T = void> = (error?: unknown, value?: T) => void;

/**
 * express-session store in the app's own database, so sessions survive restarts and are shared by every instance.
 * A row expires after the idle timeout (pushed forward on activity) and never later than the absolute lifetime
 * counted from login (a remembered session: REMEMBER_ME_DAYS for both); expired rows are invisible at once and pruned
 * every 10 minutes (SessionPruning).
 *
 * A session ended on the server stays ended: saving a session that was read from the database only updates its row,
 * so a slow request (an upload) that finishes after "Sign out everywhere", a password change or a logout cannot write
 * the deleted row back. Only a session express-session has just generated (new id) is inserted.
 */
@Injectable()
export class DatabaseSessionStore extends Store {
  /** The session objects of requests whose session has a row (read from it, or inserted by this request). */
  private readonly stored = new WeakSet<object>();

  constructor(
    private readonly orm: MikroORM,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  override get(sid: string, callback: Callback<SessionData | null>): void {
    this.run(callback, async () => {
      const row = await this.em().findOne(Session, { sid, expiresAt: { $gt: this.clock.now() } });
      return row ? (JSON.parse(row.data) as SessionData) : null;
    });
  }

  /** express-session builds a request's session from a row through here (and only through here). */
  override createSession(req: Request, data: SessionData): RequestSession & SessionData {
    const session = super.createSession(req, data);
    this.stored.add(session);
    return session;
  }

  override set(sid: string, session: SessionData, callback?: Callback): void {
    this.run(callback, async () => {
      const row = { data: JSON.stringify(session), expiresAt: this.expiryOf(session), userId: session.passport?.user ?? null };
      if (this.stored.has(session)) {
        // No row any more means the session was ended meanwhile: it stays ended.
        await this.em().nativeUpdate(Session, { sid }, row);
        return;
      }
      await this.em().insert(Session, { sid, ...row });
      this.stored.add(session);
    });
  }

  /**
   * Pushes the idle expiry forward, but only once it would move by a minute or more (1/30 of a shorter idle
   * timeout): an active user's requests then cost one write a minute instead of one each, and the idle timeout
   * holds to within that minute.
   */
  override touch(sid: string, session: SessionData, callback?: Callback): void {
    this.run(callback, async () => {
      const expiresAt = this.expiryOf(session);
      const staleBefore = new Date(expiresAt.getTime() - Math.min(60_000, this.config.sessionIdleMs / 30));
      await this.em().nativeUpdate(Session, { sid, expiresAt: { $lte: staleBefore } }, { expiresAt });
    });
  }

  override destroy(sid: string, callback?: Callback): void {
    this.run(callback, async () => {
      await this.em().nativeDelete(Session, { sid });
    });
  }

  /** Ends every session of a user (password reset, account disabled or deleted). */
  async destroyAllOf(userId: string): Promise<number> {
    return this.em().nativeDelete(Session, { userId });
  }

  async prune(): Promise<number> {
    return this.em().nativeDelete(Session, { expiresAt: { $lte: this.clock.now() } });
  }

  /** A remembered session ("Keep me logged in") lasts REMEMBER_ME_DAYS from its login, both idle and absolute. */
  private expiryOf(session: SessionData): Date {
    const { sessionIdleMs, sessionAbsoluteMs, rememberMeMs } = this.config;
    const idle = this.clock.now().getTime() + (session.rememberMe ? rememberMeMs : sessionIdleMs);
    const lifetime = session.rememberMe ? rememberMeMs : sessionAbsoluteMs;
    const absolute = session.authenticatedAt ? session.authenticatedAt + lifetime : Infinity;
    return new Date(Math.min(idle, absolute));
  }

  private em() {
    return this.orm.em.fork();
  }

  private run<T>(callback: Callback<T> | undefined, work: () => Promise<T>): void {
    work().then(
      (value) => callback?.(null, value),
      (error) => callback?.(error),
    );
  }
}
