import { Worker } from 'node:worker_threads';

export interface DecodedHeic {
  data: Buffer;
  info: { width: number; height: number; channels: 3 | 4 };
}

/** The build with the wasm binary inside (its sibling `libheif-js/wasm` looks for the binary in the current directory). */
const LIBHEIF = require.resolve('libheif-js/wasm-bundle');

/** Why libheif could not decode a file (damaged, truncated, an unsupported coding, or over the pixel cap). */
export class HeicDecodeError extends Error {}

/**
 * The worker's code, as plain JavaScript: a worker thread runs a script, and this file is TypeScript under jest.
 * It reads the primary image's size from the header, refuses it over `maxPixels` before any pixel is allocated,
 * then decodes it with libheif's transformations (rotation, mirroring, crop) applied, to 8-bit interleaved RGB(A).
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const { libheifPath, path, maxPixels } = workerData;
const lib = require(libheifPath);
const ctx = lib.heif_context_alloc();
try {
  const read = lib.heif_context_read_from_memory(ctx, readFileSync(path));
  if (read.code !== lib.heif_error_code.heif_error_Ok) throw new Error(read.message);
  const handle = lib.heif_js_context_get_primary_image_handle(ctx);
  if (!handle || handle.code) throw new Error('no primary image');
  const width = lib.heif_image_handle_get_width(handle);
  const height = lib.heif_image_handle_get_height(handle);
  if (!(width > 0 && height > 0) || width * height > maxPixels) throw new Error('image size ' + width + 'x' + height + ' refused');
  const channels = lib.heif_image_handle_has_alpha_channel(handle) ? 4 : 3;
  const chroma = channels === 4 ? lib.heif_chroma.heif_chroma_interleaved_RGBA : lib.heif_chroma.heif_chroma_interleaved_RGB;
  const image = lib.heif_js_decode_image2(handle, lib.heif_colorspace.heif_colorspace_RGB, chroma);
  if (!image || image.code || !image.channels) throw new Error('decoding failed');
  const plane = image.channels.find((c) => c.id === lib.heif_channel.heif_channel_interleaved);
  if (!plane || plane.width !== width || plane.height !== height) throw new Error('unexpected decoded plane');
  const row = width * channels;
  const data = new Uint8Array(row * height);
  for (let y = 0; y < height; y++) data.set(plane.data.subarray(y * plane.stride, y * plane.stride + row), y * row);
  lib.heif_image_release(image.image);
  lib.heif_image_handle_release(handle);
  parentPort.postMessage({ data, width, height, channels }, [data.buffer]);
} finally {
  lib.heif_context_free(ctx);
}
`;

/**
 * Decodes a HEIC/HEIF file with libheif (WebAssembly, libde265 for HEVC) in a worker thread of its own: the decode
 * takes seconds for a 12 MP photo and would block the event loop, and the thread's memory (the wasm heap never
 * shrinks) is freed when it ends. Callers bound how many run at once; each holds one decoded image (12 MP RGB is
 * 36 MB) until sharp has taken it.
 */
export function decodeHeic(path: string, maxPixels: number): Promise<DecodedHeic> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { libheifPath: LIBHEIF, path, maxPixels } });
    let done = false;
    worker.once('message', (message: { data: Uint8Array; width: number; height: number; channels: 3 | 4 }) => {
      done = true;
      const { data, width, height, channels } = message;
      resolve({ data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), info: { width, height, channels } });
    });
    worker.once('error', (error) => {
      done = true;
      reject(new HeicDecodeError(error.message));
    });
    worker.once('exit', (code) => {
      if (!done) reject(new HeicDecodeError(`the decoder stopped (exit code ${code})`));
    });
  });
}
