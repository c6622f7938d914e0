const MAX_LENGTH = 255;

/**
 * The name shown for an upload: the client's file name without any path, control characters or surrounding
 * space, in Unicode NFC, at most 255 characters (keeping the extension). It is only ever displayed (escaped) and
 * used in download headers (encoded); never in a storage key or a path.
 */
export function cleanDisplayName(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? '';
  const cleaned = base.normalize('NFC').replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
  if (!cleaned || /^\.+$/.test(cleaned)) return 'photo';
  const chars = [...cleaned];
  if (chars.length <= MAX_LENGTH) return cleaned;
  const dot = cleaned.lastIndexOf('.');
  const extension = dot > 0 ? [...cleaned.slice(dot)].slice(0, 16).join('') : '';
  return chars.slice(0, MAX_LENGTH - [...extension].length - 1).join('') + '…' + extension;
}
