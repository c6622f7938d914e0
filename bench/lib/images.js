'use strict';
// Photo-like JPEGs made with sharp: one noisy base image per kind, then distinct copies made by inserting a JPEG
// comment (COM) segment with a serial number, so every file has its own SHA-256 (the app refuses duplicates) but
// all decode to the same pixels (the same thumbnail work) without paying for 40 encodes.
const sharp = require('sharp');
const { randomFillSync } = require('node:crypto');

/** kinds: width × height, noise amplitude and JPEG settings, tuned so the file is about the wanted size. */
const KINDS = {
  // 12 MP, ≈3 MB: a gradient with moderate noise, like a detailed camera photo at quality 80.
  photo3mb: { width: 4000, height: 3000, amplitude: 60, quality: 80, chromaSubsampling: '4:2:0' },
  // 12 MP, ≈3 MB without chroma subsampling: the small side of the memory figure, so that the two sides differ in
  // bytes only (same pixels, same subsampling, same decoder buffers).
  photo3mb444: { width: 4000, height: 3000, amplitude: 37, quality: 80, chromaSubsampling: '4:4:4' },
  // 12 MP, ≈30 MB: full-range noise at quality 98 without chroma subsampling (same pixels count, 10× the bytes).
  photo30mb: { width: 4000, height: 3000, amplitude: 255, quality: 98, chromaSubsampling: '4:4:4' },
  // 3 MP, ≈0.75 MB: for --quick.
  photo1mb: { width: 2000, height: 1500, amplitude: 60, quality: 80, chromaSubsampling: '4:2:0' },
};

async function baseJpeg(kind) {
  const { width, height, amplitude, quality, chromaSubsampling } = KINDS[kind];
  const pixels = Buffer.alloc(width * height * 3);
  randomFillSync(pixels);
  if (amplitude < 255) {
    for (let i = 0; i < pixels.length; i++) {
      const x = (i / 3) % width;
      pixels[i] = (100 + ((pixels[i] * amplitude) >> 8) - (amplitude >> 1) + (x / width) * 60) | 0;
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality, chromaSubsampling })
    .toBuffer();
}

/** The base JPEG with a COM segment right after SOI (FFD8): still a valid JPEG, new bytes. */
function withComment(jpeg, text) {
  const body = Buffer.from(text, 'latin1');
  const segment = Buffer.alloc(4 + body.length);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(body.length + 2, 2);
  body.copy(segment, 4);
  return Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
}

/** `count` distinct JPEGs of the kind. */
async function photos(kind, count, tag = kind) {
  const base = await baseJpeg(kind);
  return Array.from({ length: count }, (_, i) => withComment(base, `photosphere bench ${tag} #${i} ${process.pid}`));
}

module.exports = { photos, KINDS };
