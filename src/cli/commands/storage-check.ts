import { StorageCheckService } from '../../photos/storage-check.service';
import { withAppContext } from '../app-context';
import { CliCommand } from '../cli-command';

export const storageCheckCommand: CliCommand = {
  name: 'storage:check',
  usage: '',
  summary: 'Remove orphan blobs, photos whose blobs are missing, and interrupted uploads; recount storage used; print what changed.',
  run: () =>
    withAppContext(async (app) => {
      const report = await app.get(StorageCheckService).run();
      console.log(`Orphan blobs removed: ${report.orphanBlobs}`);
      console.log(`Photos with missing blobs removed: ${report.missingBlobs}`);
      console.log(`Interrupted uploads removed: ${report.stalePending}`);
      for (const { username, wasBytes, nowBytes } of report.usageCorrected) {
        console.log(`Storage used by ${username} corrected: ${wasBytes} bytes counted, ${nowBytes} bytes in photos`);
      }
      return 0;
    }),
};
