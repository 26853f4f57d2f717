import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';

/**
 * A chunk row's text as stored. A large chunk (a commit's sessions, each with its evidence
 * line: 3.5 MB at 8,000 sessions) is stored compressed: brotli at quality 1 makes it about 6
 * times smaller in 14 ms, where writing its pages took 45 ms and deleting them, once the
 * chunk expired, 25 ms more (many-users, 400,000 lines: 73 MB of chunks). Base64, so that
 * the row stays text in every store. A small chunk (a daemon's commit every few seconds) is
 * kept as its JSON, readable as it is.
 */
export const PACK_FROM = 32 * 1024;

/** Starts a packed chunk's text; JSON text never starts so. */
const PACKED = 'br64:';

/** A chunk's JSON text as it is stored. */
export function packChunk(json: string): string {
  if (json.length < PACK_FROM) return json;
  const bytes = Buffer.from(json, 'utf8');
  const packed = brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 1,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
  return PACKED + packed.toString('base64');
}

/** A stored chunk's JSON text, or null when it cannot be unpacked (damaged). */
export function unpackChunk(stored: string): string | null {
  if (!stored.startsWith(PACKED)) return stored;
  try {
    return brotliDecompressSync(Buffer.from(stored.slice(PACKED.length), 'base64')).toString('utf8');
  } catch {
    return null;
  }
}
