import { Job } from '../jobs/job.entity';
import { PasswordReset } from '../users/password-reset.entity';
import { Photo } from '../photos/photo.entity';
import { Invitation } from '../registration/invitation.entity';
import { Session } from '../sessions/session.entity';
import { Setting } from '../settings/setting.entity';
import { PartialUpload } from '../uploads/partial-upload.entity';
import { User } from '../users/user.entity';

/** Every entity of the app; shared by the Nest module and the migration CLI. */
export const entities = [User, Session, Photo, PasswordReset, Setting, Invitation, Job, PartialUpload];
