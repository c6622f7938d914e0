import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { RegistrationModule } from '../registration/registration.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AccountLoginThrottle } from './account-login-throttle';
import { AuthController } from './auth.controller';
import { PasswordResetController } from './password-reset/password-reset.controller';
import { PasswordResetService } from './password-reset/password-reset.service';
import { AuthService } from './auth.service';
import { DeviceCookies } from './device-cookie';
import { LocalStrategy } from './local.strategy';
import { PasswordHasher } from './password-hasher';
import { SessionSerializer } from './session.serializer';

@Module({
  imports: [UsersModule, SessionsModule, RegistrationModule, PassportModule.register({ session: true })],
  controllers: [AuthController, PasswordResetController],
  providers: [AuthService, PasswordHasher, LocalStrategy, SessionSerializer, AccountLoginThrottle, DeviceCookies, PasswordResetService],
  exports: [AuthService, PasswordHasher, PasswordResetService],
})
export class AuthModule {}
