import { humanSize } from '../common/views/human-size';
import { StorageUsage } from '../users/storage-quota';

/**
 * Why a file was not stored for lack of space: "… Your storage is full (10 MB of 10 MB used)." when it is, otherwise
 * how large the file is and how much is free: "… it is 3.2 MB and only 1.9 MB of your 10 MB is free."
 */
export function quotaRefusal(name: string, bytes: number, usage: StorageUsage): string {
  const quota = humanSize(usage.quotaBytes ?? 0);
  const free = (usage.quotaBytes ?? 0) - usage.usedBytes;
  if (free <= 0) return `${name} was not stored. Your storage is full (${humanSize(usage.usedBytes)} of ${quota} used).`;
  return `${name} was not stored: it is ${humanSize(bytes)} and only ${humanSize(free)} of your ${quota} is free.`;
}
