import { open } from 'node:fs/promises';
import { constants, gunzipSync } from 'node:zlib';
import { foreignLayoutIn } from '../components/parse/foreign-layout.js';
import { startsWithGzipMagic } from '../components/sources/files/gzip.js';
import { int } from '../core/numbers.js';
import { printable } from '../core/terminal-text.js';

/** What the warning needs of a run's counters. */
export interface LineStats {
  linesRead: number;
  events: Partial<Record<string, number>>;
}

/** Whether lines were read and none was an OpenUnison event. */
const hasNoEvents = (stats: LineStats): boolean => stats.linesRead > 0 && Object.values(stats.events).every((k) => !k);

/**
 * Said when the input held no OpenUnison event at all: a wrong file, or OpenUnison's log in
 * a layout ouwatch does not read, should not pass in silence. The cause is read from the
 * first bytes of `paths` (foreignLayoutHint) only then; when they do not tell, `question`.
 * Null while some line was an event.
 */
export async function noEventWarning(stats: LineStats, paths: readonly string[], question = 'is this an OpenUnison log?'): Promise<string | null> {
  if (!hasNoEvents(stats)) return null;
  // The hint is a courtesy: a file that cannot be looked at again leaves the question.
  const why = (await foreignLayoutHint(paths).catch(() => null)) ?? question;
  return `no OpenUnison event in ${int(stats.linesRead)} line${stats.linesRead === 1 ? '' : 's'}: ${why}`;
}

/** Bytes of each input looked at (decompressed), of a gzip file read to get them, and the most they may inflate to. */
const HEAD_BYTES = 64 * 1024;
const COMPRESSED_HEAD_BYTES = 64 * 1024;
const INFLATED_AT_MOST = 8 * 1024 * 1024;

/**
 * Why inputs that gave no event at all gave none, when their first bytes tell: OpenUnison's
 * event words in a layout the scanner does not read (a custom log4j2.xml). Null when none of
 * the files (stdin is not read again) shows that. Only asked after a run found no event.
 */
export async function foreignLayoutHint(paths: readonly string[]): Promise<string | null> {
  for (const path of paths) {
    if (path === '-') continue;
    const text = await headText(path);
    const found = text === null ? null : foreignLayoutIn(text);
    if (found === null) continue;
    return (
      `${printable(path)} has OpenUnison's event words in a layout ouwatch does not read ("${printable(found.prefix)}" before ${found.word}): ` +
      `it reads OpenUnison's own "[yyyy-MM-dd HH:mm:ss,SSS][thread] LEVEL Class - message" (ISO 8601 stamps too) and log4j2's JSON layouts, ` +
      'plain or wrapped by docker, CRI, kubectl or stern; a custom log4j2.xml? (docs/openunison.md)'
    );
  }
  return null;
}

/** The first HEAD_BYTES of a file as text, gunzipped when it is gzip; null when it cannot be read. */
async function headText(path: string): Promise<string | null> {
  try {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(COMPRESSED_HEAD_BYTES);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      let head = buf.subarray(0, bytesRead);
      // A cut gzip stream decompresses as far as it goes with a sync flush (no error at its end);
      // one that inflates past the bound (a gzip bomb) throws, and says nothing.
      if (startsWithGzipMagic(head)) head = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: INFLATED_AT_MOST });
      return head.subarray(0, HEAD_BYTES).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return null;
  }
}
