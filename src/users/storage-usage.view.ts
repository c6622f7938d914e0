import { humanSize } from '../common/views/human-size';
import { StorageUsage } from './storage-quota';

/** What the gallery, the account page and the admin table show about someone's storage. */
export interface StorageUsageView {
  used: string;
  quota: string | null;
  percent: number;
  full: boolean;
  summary: string;
}

export function storageUsageView({ usedBytes, quotaBytes }: StorageUsage): StorageUsageView {
  const used = humanSize(usedBytes);
  if (quotaBytes === null) return { used, quota: null, percent: 0, full: false, summary: `${used} used (no limit)` };
  const quota = humanSize(quotaBytes);
  const percent = quotaBytes === 0 ? 100 : Math.min(100, Math.round((usedBytes / quotaBytes) * 100));
  return { used, quota, percent, full: usedBytes >= quotaBytes, summary: `${used} of ${quota} used` };
}
