import { humanSize } from '../common/views/human-size';
import { dateFormat, dateTimeFormat } from '../common/views/dates';
import { THUMBNAIL_EDGE } from './image-processor';
import { Photo } from './photo.entity';

/** What a gallery card shows: the thumbnail when ready, a placeholder while processing, the reason when it failed. */
export interface PhotoCardView {
  id: string;
  /** The card's `data-photo-state`. */
  state: 'processing' | 'ready' | 'failed';
  ready: boolean;
  processing: boolean;
  failed: boolean;
  failureReason: string | null;
  name: string;
  uploadedOn: string;
  uploadedIso: string;
  thumbnailUrl: string;
  thumbnailWidth: number;
  thumbnailHeight: number;
}

export function photoCard(photo: Photo): PhotoCardView {
  const scale = Math.min(1, THUMBNAIL_EDGE / Math.max(photo.width, photo.height));
  const state = photo.status === 'pending' ? 'processing' : photo.status;
  return {
    id: photo.id,
    state,
    ready: state === 'ready',
    processing: state === 'processing',
    failed: state === 'failed',
    failureReason: photo.failureReason,
    name: photo.displayName,
    uploadedOn: dateFormat.format(photo.uploadedAt),
    uploadedIso: photo.uploadedAt.toISOString(),
    thumbnailUrl: `/photos/${photo.id}/thumbnail`,
    thumbnailWidth: Math.round(photo.width * scale),
    thumbnailHeight: Math.round(photo.height * scale),
  };
}

/** What the photo page shows. */
export function photoDetails(photo: Photo) {
  return {
    ...photoCard(photo),
    previewUrl: `/photos/${photo.id}/preview`,
    downloadUrl: `/photos/${photo.id}/original?download=1`,
    size: humanSize(photo.sizeBytes),
    dimensions: `${photo.width} × ${photo.height}`,
    type: photo.contentType.replace('image/', '').toUpperCase(),
    takenAt: photo.takenAt ? dateTimeFormat.format(photo.takenAt) : null,
    uploadedAt: dateTimeFormat.format(photo.uploadedAt),
  };
}

/** How long the grid waits before asking again about its processing cards: 1 s, then twice as long each time, at most 15 s. */
export const FIRST_POLL_SECONDS = 1;
const LONGEST_POLL_SECONDS = 15;

/** The grid's one poller for all its processing cards; `active` false once none is left. */
export function processingPoll(active: boolean, afterSeconds = FIRST_POLL_SECONDS) {
  const delay = Math.min(Math.max(Math.round(afterSeconds), FIRST_POLL_SECONDS), LONGEST_POLL_SECONDS);
  return { active, delay, nextDelay: Math.min(delay * 2, LONGEST_POLL_SECONDS) };
}
