import { ACCEPTED_IMAGE_TYPES, AcceptedImageType } from './image-types';
import { Photo } from './photo.entity';

/**
 * Storage keys, made only from server-side ids: `<ownerId>/<photoId>/original.<ext>`, `…/thumb.webp`,
 * `…/preview.webp`. Nothing the user sends ever becomes part of a key.
 */
export function photoKeys(photo: Pick<Photo, 'ownerId' | 'id' | 'contentType'>) {
  const folder = `${ownerPrefix(photo.ownerId)}${photo.id}`;
  const extension = ACCEPTED_IMAGE_TYPES[photo.contentType as AcceptedImageType] ?? 'bin';
  return {
    original: `${folder}/original.${extension}`,
    thumbnail: `${folder}/thumb.webp`,
    preview: `${folder}/preview.webp`,
  };
}

/** The folder of every blob of one owner's photos. */
export function ownerPrefix(ownerId: string): string {
  return `${ownerId}/`;
}

/** The photo a stored key belongs to (the inverse of photoKeys); '' for a key outside the layout. */
export function photoIdOfKey(key: string): string {
  return key.split('/')[1] ?? '';
}

export type Rendition = 'original' | 'thumbnail' | 'preview';
