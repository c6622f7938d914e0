/** The image formats Photosphere accepts, recognised by their bytes (magic numbers), never by name or header. */
export const ACCEPTED_IMAGE_TYPES = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
} as const;

export type AcceptedImageType = keyof typeof ACCEPTED_IMAGE_TYPES;

/** How many leading bytes file-type needs to recognise these formats. */
export const SNIFF_BYTES = 4100;

// file-type 21 is ESM-only while the app is CommonJS; a real dynamic import (which TypeScript would otherwise turn
// into require()) loads it in the built app and under jest (with --experimental-vm-modules).
const importEsm = new Function('specifier', 'return import(specifier)') as <T>(specifier: string) => Promise<T>;

type FileTypeModule = { fileTypeFromBuffer(buffer: Uint8Array): Promise<{ mime: string } | undefined> };
let fileType: Promise<FileTypeModule> | undefined;

/** The accepted image type the leading bytes show, or undefined for anything else. */
export async function sniffImageType(head: Uint8Array): Promise<AcceptedImageType | undefined> {
  fileType ??= importEsm<FileTypeModule>('file-type');
  const detected = await (await fileType).fileTypeFromBuffer(head);
  return detected && detected.mime in ACCEPTED_IMAGE_TYPES ? (detected.mime as AcceptedImageType) : undefined;
}
