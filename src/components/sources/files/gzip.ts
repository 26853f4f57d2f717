import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** Bytes read (and decompressed) at a time from a replayed file. */
export const READ_CHUNK = 1024 * 1024;

/** Whether the open file starts with gzip's magic bytes (recognised by content, not by name). */
export async function handleHasGzipMagic(fh: FileHandle): Promise<boolean> {
  const magic = Buffer.alloc(2);
  const { bytesRead } = await fh.read(magic, 0, 2, 0);
  return startsWithGzipMagic(magic.subarray(0, bytesRead));
}

/** Whether `bytes` begin with gzip's magic bytes. */
export function startsWithGzipMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** `compressed`, decompressed; an error of the source ends the result with that error. */
export function gunzipped(compressed: Readable): Readable {
  const gunzip = createGunzip({ chunkSize: READ_CHUNK });
  compressed.on('error', (err) => gunzip.destroy(err));
  return compressed.pipe(gunzip);
}
