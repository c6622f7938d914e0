import type { FlashType } from '../common/flash/flash';
import { Photo } from './photo.entity';

/** What one upload request did, file by file. */
export interface UploadSummary {
  uploaded: Photo[];
  /** One sentence per file that was not stored, naming the file and why. */
  skipped: string[];
  /** Storage could not be reached; the files that were not stored say so. */
  storageUnavailable: boolean;
}

/** One message for the whole batch, e.g. "3 photos uploaded. 1 skipped: notes.txt is not a supported image (JPEG, PNG, WebP, GIF, HEIC, HEIF or AVIF)." */
export function describeUpload(summary: UploadSummary): { type: FlashType; message: string } {
  const count = summary.uploaded.length;
  const uploaded = count === 0 ? 'No photos uploaded.' : `${count} photo${count === 1 ? '' : 's'} uploaded.`;
  if (summary.skipped.length === 0) return { type: 'success', message: uploaded };
  const message = `${uploaded} ${summary.skipped.length} skipped: ${summary.skipped.join(' ')}`;
  return { type: count === 0 ? 'danger' : 'warning', message };
}
