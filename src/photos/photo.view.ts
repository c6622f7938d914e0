import { humanSize } from '../common/views/human-size';
import { dateFormat, dateTimeFormat } from '../common/views/dates';
import { THUMBNAIL_EDGE } from './image-processor';
import { Photo } from './photo.entity';

/** What a gallery card shows. */
export interface PhotoCardView {
  id: string;
  name: string;
  uploadedOn: string;
  uploadedIso: string;
  thumbnailUrl: string;
  thumbnailWidth: number;
  thumbnailHeight: number;
}

export function photoCard(photo: Photo): PhotoCardView {
  const scale = Math.min(1, THUMBNAIL_EDGE / Math.max(photo.width, photo.height));
  return {
    id: photo.id,
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
