import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { LocalStrategy } from './local.strategy';
import { PasswordHasher } from './password-hasher';
import { SessionSerializer } from './session.serializer';

@Module({
  imports: [UsersModule, SessionsModule, PassportModule.register({ session: true })],
  controllers: [AuthController],
  providers: [AuthService, PasswordHasher, LocalStrategy, SessionSerializer],
  exports: [AuthService, PasswordHasher],
})
export class AuthModule {}
