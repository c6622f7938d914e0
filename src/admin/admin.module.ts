import { Module } from '@nestjs/common';
import { AccountModule } from '../account/account.module';
import { AuthModule } from '../auth/auth.module';
import { PhotosModule } from '../photos/photos.module';
import { RegistrationModule } from '../registration/registration.module';
import { UsersModule } from '../users/users.module';
import { AdminSettingsController } from './admin-settings.controller';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';

/** The admin area (/admin/…): accounts, registration mode, invitations. Only admins see it; for others it is a 404. */
@Module({
  imports: [UsersModule, AccountModule, AuthModule, PhotosModule, RegistrationModule],
  controllers: [AdminUsersController, AdminSettingsController],
  providers: [AdminUsersService],
})
export class AdminModule {}
