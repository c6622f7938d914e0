import { Global, Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { MailTransport } from './mail-transport';
import { Mailer } from './mailer';

/** Provides Mailer everywhere (it needs APP_CONFIG from ConfigModule); messages go out through the jobs table. */
@Global()
@Module({ imports: [JobsModule], providers: [MailTransport, Mailer], exports: [Mailer, MailTransport] })
export class MailModule {}
