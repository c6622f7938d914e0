import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { PasswordHasher } from './password-hasher';
import { PasswordResetLinks } from './password-reset-links';
import { StorageQuota } from './storage-quota';
import { User } from './user.entity';
import { UsersService } from './users.service';

/**
 * Accounts and their credentials: the user row (UsersService writes it, UserRepository reads it), password hashing and
 * policy, reset links, and the storage quota.
 */
@Module({
  imports: [MikroOrmModule.forFeature([User]), SessionsModule],
  providers: [UsersService, PasswordHasher, PasswordResetLinks, StorageQuota],
  exports: [MikroOrmModule, UsersService, PasswordHasher, PasswordResetLinks, StorageQuota],
})
export class UsersModule {}
