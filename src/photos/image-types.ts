/** The image formats Photosphere accepts, recognised by their bytes (magic numbers), never by name or header. */
export const ACCEPTED_IMAGE_TYPES = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/heic': 'heic',
  'image/heif': 'heif',
  'image/avif': 'avif',
} as const;

export type AcceptedImageType = keyof typeof ACCEPTED_IMAGE_TYPES;

/** What people call them, in the order the upload form and the refusals list them. */
const IMAGE_TYPE_NAMES: Record<AcceptedImageType, string> = {
  'image/jpeg': 'JPEG',
  'image/png': 'PNG',
  'image/webp': 'WebP',
  'image/gif': 'GIF',
  'image/heic': 'HEIC',
  'image/heif': 'HEIF',
  'image/avif': 'AVIF',
};

/** "JPEG, PNG, WebP, GIF, HEIC, HEIF or AVIF". */
export const ACCEPTED_IMAGE_NAMES = Object.values(IMAGE_TYPE_NAMES)
  .join(', ')
  .replace(/, ([^,]*)$/, ' or $1');

/** For the file picker's `accept` attribute. */
export const ACCEPTED_IMAGE_MEDIA_TYPES = Object.keys(ACCEPTED_IMAGE_TYPES).join(',');

/** Why a file that is none of them was refused, after its name: "notes.txt is not a supported image (…)." */
export const NOT_A_SUPPORTED_IMAGE = `is not a supported image (${ACCEPTED_IMAGE_NAMES}).`;

/** How many leading bytes file-type needs to recognise these formats. */
export const SNIFF_BYTES = 4100;

// file-type 21 is an ES module; the compiled app (CommonJS) loads it with require(), which Node 20.19+ supports.
// (Under jest, test/support/file-type.bridge.ts stands in for it: jest's own require cannot load ES modules.)
let fileType: Promise<typeof import('file-type')> | undefined;

/** The accepted image type the leading bytes show, or undefined for anything else. */
export async function sniffImageType(head: Uint8Array): Promise<AcceptedImageType | undefined> {
  fileType ??= import('file-type');
  const detected = await (await fileType).fileTypeFromBuffer(head);
  return detected && detected.mime in ACCEPTED_IMAGE_TYPES ? (detected.mime as AcceptedImageType) : undefined;
}
