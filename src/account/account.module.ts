import { Module } from '@nestjs/common';
import { PhotosModule } from '../photos/photos.module';
import { RegistrationModule } from '../registration/registration.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UploadsModule } from '../uploads/uploads.module';
import { UsersModule } from '../users/users.module';
import { AccountRemovalService } from './account-removal.service';
import { AccountController } from './account.controller';
import { AccountService } from './account.service';

/** /account (people managing their own account) and deleting an account with everything it owns. */
@Module({
  imports: [UsersModule, SessionsModule, PhotosModule, RegistrationModule, UploadsModule],
  controllers: [AccountController],
  providers: [AccountService, AccountRemovalService],
  exports: [AccountRemovalService],
})
export class AccountModule {}
