import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { InvitationController } from './invitation.controller';
import { InvitationsService } from './invitations.service';
import { RegistrationService } from './registration.service';

/** Registration modes (open, invite-only, closed) and invitation links. */
@Module({
  imports: [UsersModule],
  controllers: [InvitationController],
  providers: [RegistrationService, InvitationsService],
  exports: [RegistrationService, InvitationsService],
})
export class RegistrationModule {}
