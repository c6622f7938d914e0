import 'reflect-metadata';
import { createFilesPrivately } from '../common/private-files';
import { ConfigError } from '../config/app-config';
import { loadEnvFile } from '../config/env-file';
import { CliCommand, CliUsageError } from './cli-command';
import { cliCommands } from './commands';

/** `npm run cli -- <command> [args]`: the operator's commands, with the same configuration as `npm start`. */
async function main([name, ...args]: string[]): Promise<number> {
  const command = cliCommands.find((candidate) => candidate.name === name);
  if (!command) {
    if (name && name !== 'help' && name !== '--help') console.error(`Unknown command "${name}".`);
    printHelp();
    return name && name !== 'help' && name !== '--help' ? 2 : 0;
  }
  createFilesPrivately();
  loadEnvFile();
  try {
    return await command.run(args);
  } catch (error) {
    if (error instanceof CliUsageError) {
      console.error(`${error.message}\nUsage: ${usageLine(command)}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
}

function usageLine(command: CliCommand): string {
  return `npm run cli -- ${command.name}${command.usage ? ` ${command.usage}` : ''}`;
}

function printHelp(): void {
  console.log('Usage: npm run cli -- <command> [arguments]\n\nCommands:');
  for (const command of cliCommands) console.log(`  ${usageLine(command)}\n      ${command.summary}`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
