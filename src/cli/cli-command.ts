/**
 * One `npm run cli -- <name> [args]` command. `run` gets the arguments after the name and resolves to the exit code;
 * it prints for the operator with console.log and throws CliUsageError for a wrong invocation.
 */
export interface CliCommand {
  name: string;
  /** Arguments as shown in the help, e.g. `<username> <email> [--admin]`. */
  usage: string;
  summary: string;
  run(args: string[]): Promise<number>;
}

/** A mistake in how the command was called: printed with the command's usage line, exit code 2. */
export class CliUsageError extends Error {}
