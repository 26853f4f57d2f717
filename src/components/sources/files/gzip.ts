import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** Bytes read (and decompressed) at a time from a replayed file. */
export const READ_CHUNK = 1024 * 1024;

/** Whether the file starts with gzip's magic bytes (recognised by content, not by name). */
export async function hasGzipMagic(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const magic = Buffer.alloc(2);
    const { bytesRead } = await fh.read(magic, 0, 2, 0);
    return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** `compressed`, decompressed; an error of the source ends the result with that error. */
export function gunzipped(compressed: Readable): Readable {
  const gunzip = createGunzip({ chunkSize: READ_CHUNK });
  compressed.on('error', (err) => gunzip.destroy(err));
  return compressed.pipe(gunzip);
}
