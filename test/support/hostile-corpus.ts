import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { heic, heifClaiming, heifWithDamagedData } from './heif-images';
import { gif, jpeg, jpegWithExif, png, pngClaiming, webp } from './images';

/**
 * Generated hostile uploads, the same on every run (a fixed seed): byte mutations and truncations of real images,
 * polyglots, other formats renamed to image names, headers claiming huge sizes, huge EXIF blocks, empty files,
 * wrong extensions and hostile file names.
 *
 * `expect` is what the app must do with a file: `reject` (skipped with a reason), `accept` (stored and served
 * correctly), or `either` (a mutation may or may not leave a decodable image; whichever happens must be clean).
 */
export interface HostileUpload {
  kind: string;
  name: string;
  data: Buffer;
  expect: 'reject' | 'accept' | 'either';
  /** For rejections: what the reason must say (after the file's name). */
  reason?: RegExp;
  /** Bytes a polyglot smuggles in: they must never reach a thumbnail or a preview. */
  smuggled?: string[];
}

export const NOT_AN_IMAGE = /^is not a supported image \(JPEG, PNG, WebP, GIF, HEIC, HEIF or AVIF\)\.$/;
export const EMPTY = /^is empty\.$/;
export const DAMAGED = /^could not be read as an image; it may be damaged( or incomplete)?\.$/;
export const TOO_LARGE = /^is too large: \d+ × \d+ pixels \(at most \d+ megapixels\)\.$/;
/** Any of the reasons a broken file may get, depending on where the damage is. */
export const BROKEN = new RegExp(`${NOT_AN_IMAGE.source}|${DAMAGED.source}|${TOO_LARGE.source}`);

const SCRIPT = '<script>alert(document.cookie)</script>';
const HTML = `<!DOCTYPE html><html><body><h1>smuggled</h1>${SCRIPT}</body></html>`;
const PHP = '<?php system($_GET["cmd"]); ?>';

/** mulberry32: a small, fast PRNG whose sequence depends only on the seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A JPEG segment (marker FFxx, big-endian length including itself) inserted right after the SOI marker. */
export function withJpegSegment(image: Buffer, marker: number, payload: Buffer): Buffer {
  if (payload.length > 65533) throw new Error('a JPEG segment holds at most 65533 bytes');
  const header = Buffer.from([0xff, marker, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([image.subarray(0, 2), header, payload, image.subarray(2)]);
}

/** A comment segment makes otherwise identical images distinct files (the app refuses duplicates by content). */
const distinct = (image: Buffer, label: string) => withJpegSegment(image, 0xfe, Buffer.from(`photosphere corpus ${label}`));

/** A PNG chunk inserted before IEND. */
function withPngChunk(image: Buffer, type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  const iend = image.length - 12;
  return Buffer.concat([image.subarray(0, iend), length, body, crc, image.subarray(iend)]);
}

/** Overwrites the first SOF0/SOF2 frame's height and width. */
function jpegClaiming(image: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(image);
  for (let i = 2; i < out.length - 9;) {
    if (out[i] !== 0xff) throw new Error('not a JPEG segment');
    const marker = out[i + 1];
    if (marker === 0xc0 || marker === 0xc2) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
    i += 2 + out.readUInt16BE(i + 2);
  }
  throw new Error('no SOF segment');
}

function mutate(image: Buffer, random: () => number): Buffer {
  const out = Buffer.from(image);
  const flips = 1 + Math.floor(random() * 24);
  for (let i = 0; i < flips; i++) out[Math.floor(random() * out.length)] = Math.floor(random() * 256);
  if (random() < 0.25) {
    // Also cut a random slice out, shifting every later marker.
    const at = Math.floor(random() * out.length);
    return Buffer.concat([out.subarray(0, at), out.subarray(Math.min(out.length, at + 1 + Math.floor(random() * 64)))]);
  }
  return out;
}

/** Exif (TIFF) block: a valid header whose first IFD claims 65535 entries, followed by filler. */
function hugeExif(size: number, filler: string): Buffer {
  const tiff = Buffer.from('Exif\0\0II*\0\x08\0\0\0\xff\xff', 'latin1');
  return Buffer.concat([tiff, Buffer.alloc(size - tiff.length, filler)]);
}

function xmp(size: number, inner: string): Buffer {
  const head = Buffer.from(`http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x="adobe:ns:meta/">${inner}`);
  const tail = Buffer.from('</x:xmpmeta>');
  return Buffer.concat([head, Buffer.alloc(size - head.length - tail.length, ' '), tail]);
}

/** The whole corpus: 200+ files, each (but the empty ones) with its own bytes. */
export async function hostileUploads(seed = 20261126): Promise<HostileUpload[]> {
  const random = seededRandom(seed);
  const baseJpeg = await jpeg(160, 120, 7);
  const basePng = await png(96, 64, 7);
  const baseGif = await gif(32, 24, 7);
  const corpus: HostileUpload[] = [];
  const add = (item: HostileUpload) => corpus.push(item);
  let n = 0;
  const label = (kind: string) => `${kind}-${String(++n).padStart(3, '0')}`;

  // Seeded byte mutations: some still decode, most do not; either way the answer must be clean.
  for (let i = 0; i < 50; i++)
    add({ kind: 'mutated jpeg', name: `${label('mutated')}.jpg`, data: mutate(baseJpeg, random), expect: 'either' });
  for (let i = 0; i < 50; i++)
    add({ kind: 'mutated png', name: `${label('mutated')}.png`, data: mutate(basePng, random), expect: 'either' });

  // Truncations at many offsets, from one byte to the last byte missing.
  for (const [image, ext] of [
    [baseJpeg, 'jpg'],
    [basePng, 'png'],
  ] as const) {
    const offsets = new Set([1, 2, 3, 4, 8, 16, 100, image.length - 1, image.length - 2, image.length - 3, image.length - 12]);
    while (offsets.size < 30) offsets.add(1 + Math.floor(random() * (image.length - 1)));
    // A PNG cut only inside its final IEND chunk still holds every pixel: it may be accepted.
    const pixelsComplete = (offset: number) => ext === 'png' && offset >= image.length - 12;
    for (const offset of [...offsets].sort((a, b) => a - b)) {
      add({
        kind: `truncated ${ext}`,
        name: `${label('truncated')}-at-${offset}.${ext}`,
        data: image.subarray(0, offset),
        expect: pixelsComplete(offset) ? 'either' : 'reject',
        reason: BROKEN,
      });
    }
  }

  // Polyglots: a real image carrying HTML, script or PHP. Accepted (they are images), but re-encoded for display.
  const polyglots: Array<[string, Buffer, string[]]> = [
    ['jpeg + html appended', Buffer.concat([distinct(baseJpeg, 'p1'), Buffer.from(HTML)]), ['<html', SCRIPT]],
    ['jpeg + script appended', Buffer.concat([distinct(baseJpeg, 'p2'), Buffer.from(SCRIPT)]), [SCRIPT]],
    ['jpeg + php in a comment', withJpegSegment(baseJpeg, 0xfe, Buffer.from(PHP)), [PHP]],
    ['jpeg + html in a comment', withJpegSegment(baseJpeg, 0xfe, Buffer.from(HTML)), ['<html', SCRIPT]],
    ['jpeg + svg in XMP', withJpegSegment(baseJpeg, 0xe1, xmp(2000, '<svg onload="alert(1)"/>')), ['<svg onload']],
    ['png + html after IEND', Buffer.concat([basePng, Buffer.from(HTML)]), ['<html', SCRIPT]],
    ['png + script in tEXt', withPngChunk(basePng, 'tEXt', Buffer.from(`Comment\0${SCRIPT}`)), [SCRIPT]],
    ['png + php in iTXt', withPngChunk(basePng, 'iTXt', Buffer.from(`Comment\0\0\0\0\0${PHP}`)), [PHP]],
    ['gif + script appended', Buffer.concat([baseGif, Buffer.from(SCRIPT)]), [SCRIPT]],
    [
      'gif/js polyglot',
      Buffer.concat([Buffer.from('GIF89a/*', 'latin1'), baseGif.subarray(8), Buffer.from('*/=1;alert(document.cookie);//' + SCRIPT)]),
      ['alert(document.cookie)'],
    ],
    ['webp + html appended', Buffer.concat([await webp(64, 48, 9), Buffer.from(HTML)]), ['<html', SCRIPT]],
  ];
  for (const [kind, data, smuggled] of polyglots) {
    add({
      kind: `polyglot: ${kind}`,
      name: `${label('polyglot')}.jpg`,
      data,
      expect: kind.startsWith('gif/js') ? 'either' : 'accept',
      smuggled,
    });
  }

  // Other formats under image names: recognised by their bytes, so refused whatever the name says.
  const impostors: Array<[string, Buffer]> = [
    ['svg', Buffer.from(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`)],
    ['svg without xml declaration', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><rect width="10" height="10"/></svg>')],
    ['html', Buffer.from(HTML)],
    ['javascript', Buffer.from('alert(document.cookie);\n')],
    ['php', Buffer.from(PHP)],
    ['html behind a JPEG signature', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(HTML)])],
    ['html behind a PNG signature', Buffer.concat([basePng.subarray(0, 8), Buffer.from(HTML)])],
    ['pdf', Buffer.from('%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n')],
    ['zip', Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(200, 1)])],
    ['elf executable', Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01', 'latin1'), Buffer.alloc(200)])],
    ['bmp', Buffer.concat([Buffer.from('BM', 'latin1'), Buffer.alloc(120, 0)])],
    ['tiff', await (await import('sharp')).default(basePng).tiff().toBuffer()],
  ];
  for (const [kind, data] of impostors) {
    // The .png copy gets a trailing newline: each file of the corpus has its own bytes.
    for (const ext of ['jpg', 'png'])
      add({
        kind: `renamed ${kind}`,
        name: `${label('renamed')}.${ext}`,
        data: ext === 'png' ? Buffer.concat([data, Buffer.from('\n')]) : data,
        expect: 'reject',
        reason: kind.includes('signature') ? BROKEN : NOT_AN_IMAGE,
      });
  }

  // Headers claiming enormous sizes (decompression bombs): refused from the header, before any decoding.
  add({
    kind: 'png claiming 65500×65500',
    name: `${label('bomb')}.png`,
    data: pngClaiming(65500, 65500),
    expect: 'reject',
    reason: TOO_LARGE,
  });
  add({
    kind: 'jpeg claiming 65500×65500',
    name: `${label('bomb')}.jpg`,
    data: jpegClaiming(distinct(baseJpeg, 'b1'), 65500, 65500),
    expect: 'reject',
    reason: TOO_LARGE,
  });
  add({
    kind: 'jpeg claiming 65500×2000',
    name: `${label('bomb')}.jpg`,
    data: jpegClaiming(distinct(baseJpeg, 'b2'), 65500, 2000),
    expect: 'reject',
    reason: TOO_LARGE,
  });
  add({
    kind: 'png claiming 65500×1 (under the limit, data missing)',
    name: `${label('bomb')}.png`,
    data: pngClaiming(65500, 1),
    expect: 'either',
  });
  add({
    kind: 'gif screen claiming 65500×65500',
    name: `${label('bomb')}.gif`,
    data: Buffer.concat([baseGif.subarray(0, 6), Buffer.from([0xdc, 0xff, 0xdc, 0xff]), baseGif.subarray(10)]),
    expect: 'either',
  });

  // Huge EXIF and XMP blocks: several 60 KB+ APP1 segments. Accepted or refused, nothing of them reaches a rendition.
  const marker = 'EXIFSMUGGLE';
  const exifs: Array<[string, Buffer]> = [
    ['one 64 KB APP1', withJpegSegment(distinct(baseJpeg, 'e1'), 0xe1, hugeExif(65533, marker))],
    ['four 64 KB APP1', [1, 2, 3, 4].reduce((image) => withJpegSegment(image, 0xe1, hugeExif(65533, marker)), distinct(baseJpeg, 'e2'))],
    [
      'eight 60 KB APP1',
      [1, 2, 3, 4, 5, 6, 7, 8].reduce((image) => withJpegSegment(image, 0xe1, hugeExif(61440, marker)), distinct(baseJpeg, 'e3')),
    ],
    ['64 KB XMP with script', withJpegSegment(distinct(baseJpeg, 'e4'), 0xe1, xmp(65533, `<x:s>${marker}${SCRIPT}</x:s>`))],
    [
      'real EXIF + three 64 KB APP1',
      [1, 2, 3].reduce((image) => withJpegSegment(image, 0xe1, hugeExif(65533, marker)), await jpegWithExif(7)),
    ],
    [
      '64 KB APP2 ICC garbage',
      withJpegSegment(distinct(baseJpeg, 'e6'), 0xe2, Buffer.concat([Buffer.from('ICC_PROFILE\0\x01\x01'), Buffer.alloc(65000, marker)])),
    ],
  ];
  for (const [kind, data] of exifs)
    add({ kind: `huge exif: ${kind}`, name: `${label('exif')}.jpg`, data, expect: 'either', smuggled: [marker] });

  // Empty files.
  for (const name of ['empty.jpg', 'empty.png', 'empty', 'empty.gif']) {
    add({ kind: 'zero bytes', name: `${label('zero')}-${name}`, data: Buffer.alloc(0), expect: 'reject', reason: EMPTY });
  }

  // Wrong extensions on real images: the type comes from the bytes; the name is only displayed.
  const misnamed: Array<[string, Buffer]> = [
    ['photo.png', distinct(baseJpeg, 'w1')],
    ['photo.gif', distinct(baseJpeg, 'w2')],
    ['photo.html', distinct(baseJpeg, 'w3')],
    ['photo.svg', distinct(baseJpeg, 'w4')],
    ['photo', distinct(baseJpeg, 'w5')],
    ['photo.exe', withPngChunk(basePng, 'tEXt', Buffer.from('Comment\0w6'))],
    ['photo.jpg', withPngChunk(basePng, 'tEXt', Buffer.from('Comment\0w7'))],
    ['photo.js', withPngChunk(basePng, 'tEXt', Buffer.from('Comment\0w8'))],
  ];
  for (const [name, data] of misnamed) add({ kind: 'wrong extension', name: `${label('ext')}-${name}`, data, expect: 'accept' });

  // Hostile file names on real images, sent as a browser sends them (CR, LF and `"` percent-escaped): accepted, and
  // the name is only ever displayed, cleaned.
  const names = [
    '../../../../etc/passwd.jpg',
    '..\\..\\windows\\win.ini.jpg',
    '%2e%2e%2f%2e%2e%2fescape.jpg',
    '/absolute/path.jpg',
    'line\r\nSet-Cookie: owned=1.jpg',
    'tab\tseparated.jpg',
    'invoice\u202egpj.exe',
    'isolate\u2067evil\u2069.jpg',
    'c1\u0085\u009bcontrols.jpg',
    `${'a'.repeat(1000)}.jpg`,
    `${'é'.repeat(600)}.jpg`,
    '<img src=x onerror=alert(1)>.jpg',
    '"quoted" \'name\'.jpg',
    'CON.jpg',
    '...',
    '   ',
    '\u200b\u200b.jpg',
  ];
  names.forEach((name, i) => add({ kind: 'hostile name', name, data: distinct(baseJpeg, `n${i}`), expect: 'accept' }));
  // The same kind of names sent raw, as only a hostile client would: control characters, NUL, CR LF header injection.
  const rawNames = [
    'control\u0001\u0007\u001b[31mred.jpg',
    'nul\u0000byte.jpg',
    'del\u007f.jpg',
    'line\r\nSet-Cookie: owned=1.jpg',
    'quote"; name="_csrf.jpg',
  ];
  rawNames.forEach((name, i) => add({ kind: 'hostile raw name', name, data: distinct(baseJpeg, `r${i}`), expect: 'either' }));

  const seen = new Set<string>();
  for (const item of corpus.filter((c) => c.data.length > 0)) {
    const hash = createHash('sha256').update(item.data).digest('hex');
    if (seen.has(hash)) throw new Error(`corpus has two files with the same bytes (${item.name})`);
    seen.add(hash);
  }
  // HEIC (decoded by libheif-js in a worker thread): mutations and truncations (their own seed, so the rest of the
  // corpus stays as it was), a garbled coded image under a whole header, huge claimed sizes, and a polyglot.
  const baseHeic = heic();
  const heicRandom = seededRandom(seed + 14);
  for (let i = 0; i < 12; i++)
    add({ kind: 'mutated heic', name: `${label('mutated')}.heic`, data: mutate(baseHeic, heicRandom), expect: 'either' });
  for (const offset of [12, 40, 200, 600, Math.floor(baseHeic.length * 0.7), baseHeic.length - 300]) {
    const name = `${label('truncated')}-at-${offset}.heic`;
    add({ kind: 'truncated heic', name, data: baseHeic.subarray(0, offset), expect: 'reject', reason: BROKEN });
  }
  add({ kind: 'garbled heic', name: `${label('garbled')}.heic`, data: heifWithDamagedData(baseHeic), expect: 'reject', reason: DAMAGED });
  add({
    kind: 'heic claiming 65500 × 65500',
    name: `${label('bomb')}.heic`,
    data: heifClaiming(baseHeic, 65500, 65500),
    expect: 'reject',
    reason: TOO_LARGE,
  });
  add({ kind: 'heic claiming 0 × 0', name: `${label('bomb')}.heic`, data: heifClaiming(baseHeic, 0, 0), expect: 'reject', reason: BROKEN });
  add({
    kind: 'polyglot: heic + html appended',
    name: `${label('polyglot')}.heic`,
    data: Buffer.concat([baseHeic, Buffer.from(HTML)]),
    expect: 'accept',
    smuggled: ['<html', SCRIPT],
  });

  return corpus;
}
