import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { InvitationController } from './invitation.controller';
import { InvitationsService } from './invitations.service';
import { RegistrationController } from './registration.controller';
import { RegistrationService } from './registration.service';

/** /register and /invite/:token: registration modes (open, invite-only, closed), invitation links, the first admin. */
@Module({
  imports: [UsersModule],
  controllers: [RegistrationController, InvitationController],
  providers: [RegistrationService, InvitationsService],
  exports: [RegistrationService, InvitationsService],
})
export class RegistrationModule {}
