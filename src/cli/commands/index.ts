import { CliCommand } from '../cli-command';
import { createUserCommand } from './create-user';
import { jobsCommand } from './jobs';
import { migrateCommand } from './migrate';
import { resetPasswordCommand } from './reset-password';
import { storageCheckCommand } from './storage-check';

/** Every `npm run cli` command, in the order the help lists them. */
export const cliCommands: CliCommand[] = [migrateCommand, storageCheckCommand, createUserCommand, resetPasswordCommand, jobsCommand];
