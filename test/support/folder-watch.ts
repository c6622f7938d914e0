import { watch } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { on } from 'node:events';

/**
 * Resolves once `dir` holds exactly `count` entries (e.g. an app's temporary upload files), looking again on every
 * change the file system reports — no polling, no time limit. Creates `dir` if it is missing, as the app would.
 */
export async function untilFolderHolds(dir: string, count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const watcher = watch(dir);
  try {
    const changes = on(watcher, 'change');
    if ((await readdir(dir)).length === count) return;
    for await (const _change of changes) {
      if ((await readdir(dir)).length === count) return;
    }
  } finally {
    watcher.close();
  }
}
