const MAX_LENGTH = 255;

/** C0 and C1 controls, and the bidirectional controls that make "invoice\u202Egpj.exe" display as "invoiceexe.jpg". */
// eslint-disable-next-line no-control-regex -- removing them is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * The name shown for an upload: the client's file name without any path, control or text-direction characters or
 * surrounding space, in Unicode NFC, at most 255 characters (keeping the extension). It is only ever displayed
 * (escaped) and used in download headers (encoded); never in a storage key or a path.
 */
export function cleanDisplayName(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? '';
  const cleaned = base.normalize('NFC').replace(CONTROLS, '').trim();
  if (!cleaned || /^\.+$/.test(cleaned)) return 'photo';
  const chars = [...cleaned];
  if (chars.length <= MAX_LENGTH) return cleaned;
  const dot = cleaned.lastIndexOf('.');
  const extension = dot > 0 ? [...cleaned.slice(dot)].slice(0, 16).join('') : '';
  return chars.slice(0, MAX_LENGTH - [...extension].length - 1).join('') + '…' + extension;
}
