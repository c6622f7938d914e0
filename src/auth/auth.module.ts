import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { JobsModule } from '../jobs/jobs.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AccountLoginThrottle } from './account-login-throttle';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { DeviceCookies } from './device-cookie';
import { LocalStrategy } from './local.strategy';
import { PasswordResetController } from './password-reset/password-reset.controller';
import { PasswordResetService } from './password-reset/password-reset.service';
import { SessionSerializer } from './session.serializer';

/** Logging in and out (passport-local, sessions, login budgets, device cookies) and the forgot/reset password flow. */
@Module({
  imports: [UsersModule, SessionsModule, JobsModule, PassportModule.register({ session: true })],
  controllers: [AuthController, PasswordResetController],
  providers: [AuthService, LocalStrategy, SessionSerializer, AccountLoginThrottle, DeviceCookies, PasswordResetService],
  exports: [PasswordResetService],
})
export class AuthModule {}
