import { Global, Module } from '@nestjs/common';
import { Mailer } from './mailer';

/** Provides Mailer everywhere (it needs APP_CONFIG from ConfigModule). */
@Global()
@Module({ providers: [Mailer], exports: [Mailer] })
export class MailModule {}
