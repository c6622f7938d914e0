import sharp from 'sharp';
import { crc32, deflateSync } from 'node:zlib';

/** Real images, made on the fly. `seed` varies the pixels, so each call with a new seed has new bytes. */
export function jpeg(width = 640, height = 480, seed = 0): Promise<Buffer> {
  return solid(width, height, seed).jpeg({ quality: 85 }).toBuffer();
}

export function png(width = 320, height = 240, seed = 0): Promise<Buffer> {
  return solid(width, height, seed).png().toBuffer();
}

export function webp(width = 320, height = 240, seed = 0): Promise<Buffer> {
  return solid(width, height, seed).webp().toBuffer();
}

export function gif(width = 64, height = 48, seed = 0): Promise<Buffer> {
  return solid(width, height, seed).gif().toBuffer();
}

/** A 3:2 JPEG stored sideways (EXIF Orientation 6) with a capture date and GPS position. */
export function jpegWithExif(seed = 0): Promise<Buffer> {
  return solid(600, 400, seed)
    .jpeg()
    .withExif({
      IFD0: { Make: 'Photosphere Test', Model: 'Fixture' },
      IFD2: { DateTimeOriginal: '2024:07:14 16:30:05' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2400/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 4000/100' },
    })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/** A valid PNG whose header claims width × height, with one tiny compressed row: a decompression bomb's header. */
export function pngClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(width + 1))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function solid(width: number, height: number, seed: number) {
  const r = (seed * 67) % 256;
  const g = (seed * 131 + 80) % 256;
  const b = (seed * 199 + 160) % 256;
  // A gradient overlay makes the bytes depend on the size too, and gives JPEG something real to encode.
  const overlay = Buffer.from(
    `<svg width="${width}" height="${height}"><defs><linearGradient id="g"><stop offset="0" stop-color="#fff" stop-opacity="0.6"/><stop offset="1" stop-color="#000" stop-opacity="0.3"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/><circle cx="${(seed * 37) % width}" cy="${height / 2}" r="${Math.min(width, height) / 4}" fill="#fe0"/></svg>`,
  );
  return sharp({ create: { width, height, channels: 3, background: { r, g, b } } }).composite([{ input: overlay }]);
}
