import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Records per read: about 1.5 MB for geoip-lite's 24- and 48-byte records. */
const RECORDS_PER_CHUNK = 1 << 16;

/**
 * Streams a file of fixed-size records in chunks of whole records, so that building a table
 * never holds a whole data file (76 MB for geoip-lite's IPv4 ranges) next to the table itself.
 * `onChunk` sees `count` records at the start of `chunk`; the view is reused between calls.
 * Errors name the file.
 */
export function readRecords(file: string, recordSize: number, onChunk: (chunk: DataView, count: number) => void): void {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size % recordSize !== 0) throw new Error(`size ${size} is not a multiple of the ${recordSize}-byte record`);
    const chunk = new Uint8Array(Math.min(size, recordSize * RECORDS_PER_CHUNK));
    // DataView reads are big-endian by default, like the files, and compile to plain loads.
    const view = new DataView(chunk.buffer);
    let position = 0;
    while (position < size) {
      const want = Math.min(chunk.length, size - position);
      const got = readFully(fd, chunk, 0, want, position);
      if (got < want) throw new Error(`ended early at byte ${position + got}`);
      onChunk(view, want / recordSize);
      position += want;
    }
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`, { cause: err });
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads `length` bytes at `position` into `into` from `offset`, as many calls as it takes;
 * returns the bytes read, fewer only when the file ended first.
 */
export function readFully(fd: number, into: Uint8Array, offset: number, length: number, position: number): number {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, into, offset + got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}
