import { InvalidInputError } from '../../common/invalid-input';
import { RegistrationService } from '../../registration/registration.service';
import { withAppContext } from '../app-context';
import { CliCommand, CliUsageError } from '../cli-command';
import { readSecret } from '../read-secret';

/**
 * Creates an account from the shell (e.g. the first admin of an instance with registration closed). The password
 * comes from the PASSWORD environment variable or a hidden prompt, never from the command line, where it would end
 * up in the shell history and the process list. The same rules as /register apply; the registration mode does not.
 */
export const createUserCommand: CliCommand = {
  name: 'create-user',
  usage: '<username> <email> [--admin]',
  summary: 'Create an account (an admin with --admin). The password is read from PASSWORD or asked for.',
  async run(args) {
    const admin = args.includes('--admin');
    const positional = args.filter((arg) => arg !== '--admin');
    if (positional.length !== 2 || positional.some((arg) => arg.startsWith('--'))) {
      throw new CliUsageError(
        'Give a username and an email (and --admin for an administrator); the password is read from PASSWORD or asked for.',
      );
    }
    const [username, email] = positional;
    const password = process.env.PASSWORD ?? (await readSecret(`Password for ${username}: `));
    if (password === undefined) {
      console.error('No password: set the PASSWORD environment variable, or run the command in a terminal to be asked for one.');
      return 2;
    }
    return withAppContext(async (app) => {
      // Without --admin the role is left open, so the first account of an instance still becomes its admin.
      try {
        const user = await app.get(RegistrationService).createAccount({ username, email, password }, admin ? 'admin' : undefined);
        console.log(`Created ${user.role === 'admin' ? 'admin' : 'user'} ${user.username} <${user.email}>. They can log in now.`);
      } catch (error) {
        if (!(error instanceof InvalidInputError)) throw error;
        const problems = Object.values<string[] | undefined>(error.problems).flat();
        console.error(`The account was not created:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
        return 1;
      }
      return 0;
    });
  },
};
