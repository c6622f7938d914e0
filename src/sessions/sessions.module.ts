import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { JobsModule } from '../jobs/jobs.module';
import { DatabaseSessionStore } from './database-session.store';
import { SESSION_COOKIE, sessionCookie } from './session-cookie';
import { SessionPruning } from './session-pruning';

@Module({
  imports: [JobsModule],
  providers: [
    DatabaseSessionStore,
    SessionPruning,
    { provide: SESSION_COOKIE, useFactory: (config: AppConfig) => sessionCookie(config), inject: [APP_CONFIG] },
  ],
  exports: [DatabaseSessionStore, SESSION_COOKIE],
})
export class SessionsModule {}
