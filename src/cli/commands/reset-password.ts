import { PasswordResetService } from '../../auth/password-reset/password-reset.service';
import { UserRepository } from '../../users/user.repository';
import { withAppContext } from '../app-context';
import { CliCommand, CliUsageError } from '../cli-command';

/** For an operator helping someone locked out (no mail set up, or the email address is gone): a link to pass on. */
export const resetPasswordCommand: CliCommand = {
  name: 'reset-password',
  usage: '<username-or-email>',
  summary: 'Print a one-time link (valid PASSWORD_RESET_MINUTES) with which the user chooses a new password.',
  run: async ([identifier, ...rest]) => {
    if (!identifier || rest.length > 0) throw new CliUsageError('Name one user, by username or email.');
    return withAppContext(async (app) => {
      const user = await app.get(UserRepository).findByIdentifier(identifier);
      if (!user) {
        console.error(`No user "${identifier}".`);
        return 1;
      }
      const link = await app.get(PasswordResetService).issueLink(user);
      console.log(`Password reset link for ${user.username} <${user.email}>; it works once:\n${link}`);
      return 0;
    });
  },
};
