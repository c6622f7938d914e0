import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AccountModule } from './account/account.module';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import { CsrfGuard } from './common/csrf/csrf.guard';
import { CsrfModule } from './common/csrf/csrf.module';
import { AuthenticatedGuard } from './common/http/authenticated.guard';
import { HtmlExceptionFilter } from './common/http/html-exception.filter';
import { RolesGuard } from './common/http/roles.guard';
import { ClockModule } from './common/time/clock.module';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { MailModule } from './mail/mail.module';
import { ThrottleModule } from './common/throttle/throttle.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { JobsModule } from './jobs/jobs.module';
import { PhotosModule } from './photos/photos.module';
import { RegistrationModule } from './registration/registration.module';
import { GracefulShutdown } from './server/graceful-shutdown';
import { SessionsModule } from './sessions/sessions.module';
import { StorageModule } from './storage/storage.module';
import { UploadsModule } from './uploads/uploads.module';
import { UsersModule } from './users/users.module';

const features = [
  SessionsModule,
  UsersModule,
  AuthModule,
  RegistrationModule,
  PhotosModule,
  UploadsModule,
  HealthModule,
  AccountModule,
  AdminModule,
];

/** Cross-cutting rules, in the order they run: login required unless @Public(), CSRF on state changes, @Roles(…) (else 404). */
const globalProviders = [
  { provide: APP_GUARD, useClass: AuthenticatedGuard },
  { provide: APP_GUARD, useClass: CsrfGuard },
  { provide: APP_GUARD, useClass: RolesGuard },
  { provide: APP_FILTER, useClass: HtmlExceptionFilter },
  // In the root module so that its shutdown hook runs before every other module's (see GracefulShutdown).
  GracefulShutdown,
];

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ClockModule,
        CsrfModule,
        DatabaseModule.forRoot(config),
        JobsModule,
        StorageModule.forRoot(config.storage),
        MailModule,
        ThrottleModule,
        ...features,
      ],
      providers: globalProviders,
    };
  }
}
