import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { gunzipped, READ_CHUNK, startsWithGzipMagic } from './gzip.js';
import { podPrefixEnd } from '../../decode/kubectl-logs.js';

/** A run of consecutive lines of one pod in a `kubectl logs --prefix` file. */
export interface PodSegment {
  /** `pod/<pod>/<container>`, as kubectl wrote it. */
  pod: string;
  /** Its bytes in the file (decompressed, for gzip): [start, end). */
  start: number;
  end: number;
  /** Lines of the file before `start`. */
  lineNo: number;
}

/**
 * More runs than this and the pods are interleaved (`kubectl logs -f` writes lines as they
 * come, close to log-time order already): the file is read as it is.
 */
export const MAX_POD_SEGMENTS = 64;

/** Enough of a line to judge its prefix (podPrefixEnd looks at most this far). */
const PREFIX_BYTES = 600;

/** A file with no prefixed line starting in its first this many bytes is not kubectl --prefix output. */
const PREFIX_WITHIN = 65_536;

/**
 * The runs of lines of each pod in a `kubectl logs --prefix` file that holds several pods one
 * after another, as `kubectl logs -l app=… --prefix` writes them without `-f`: pod after pod.
 * Read in file order, one pod's last hour would come before the next pod's first one; as
 * separate inputs the merge puts them in log-time order. One read of the file, a few hundred
 * bytes kept between chunks. Lines without a prefix (kubectl's own messages) belong to the run
 * they are in. Null when there is nothing to split: one pod, or interleaved pods. A gzip
 * archive (told by content) is read decompressed.
 */
export async function podSegments(path: string): Promise<PodSegment[] | null> {
  const head = await headOf(path);
  const gzip = startsWithGzipMagic(head);
  if (!gzip && !prefixedLineIn(head)) return null;
  const file = createReadStream(path, { highWaterMark: READ_CHUNK });
  const stream: Readable = gzip ? gunzipped(file) : file;
  const segments: PodSegment[] = [];
  let lines = 0;
  const judge = (buf: Buffer, p: number, end: number, offset: number): boolean => {
    const after = podPrefixEnd(buf, p, end);
    if (after < 0) return true;
    const pod = buf.toString('latin1', p + 1, after - 2);
    const current = segments[segments.length - 1];
    if (current !== undefined && current.pod === pod) return true;
    if (current !== undefined) current.end = offset;
    segments.push({ pod, start: segments.length === 0 ? 0 : offset, end: -1, lineNo: segments.length === 0 ? 0 : lines });
    return segments.length <= MAX_POD_SEGMENTS;
  };
  // The beginning of a line that started at the end of the previous chunk, not judged yet.
  let carry: Buffer | null = null;
  let atLineStart = true;
  let base = 0;
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      const buf: Buffer = carry === null ? chunk : Buffer.concat([carry, chunk]);
      carry = null;
      let p = 0;
      if (!atLineStart) {
        // The rest of a line judged in an earlier chunk.
        const nl = buf.indexOf(10);
        p = nl < 0 ? buf.length : nl + 1;
        if (nl >= 0) lines++;
      }
      while (p < buf.length) {
        const nl = buf.indexOf(10, p);
        if (nl < 0 && buf.length - p < PREFIX_BYTES) {
          carry = Buffer.from(buf.subarray(p));
          break;
        }
        // No prefixed line in the first 64 KB: not kubectl --prefix output (one chunk read).
        if (segments.length === 0 && base + p > PREFIX_WITHIN) return null;
        if (!judge(buf, p, nl < 0 ? buf.length : nl, base + p)) return null;
        if (nl < 0) break;
        lines++;
        p = nl + 1;
      }
      atLineStart = carry !== null || buf[buf.length - 1] === 10;
      base = size - (carry?.length ?? 0);
    }
  } catch {
    // A damaged archive: read as it is, where the read reports the damage.
    return null;
  } finally {
    stream.destroy();
    file.destroy();
  }
  if (carry !== null && !judge(carry, 0, carry.length, base)) return null;
  if (segments.length < 2) return null;
  segments[segments.length - 1].end = size;
  return segments;
}

/** The first bytes of the file: enough to tell gzip, and to judge each line starting in the first PREFIX_WITHIN bytes. */
async function headOf(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(PREFIX_WITHIN + PREFIX_BYTES);
    return buf.subarray(0, (await fh.read(buf, 0, buf.length, 0)).bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * Whether a line starting in the first PREFIX_WITHIN bytes of a plain file's `head` has a pod
 * prefix. Most files have none: one read answers instead of a stream (about 6 ms of a short
 * replay's start); when one has, the stream decides.
 */
function prefixedLineIn(head: Buffer): boolean {
  for (let p = 0; p < head.length && p <= PREFIX_WITHIN; ) {
    const nl = head.indexOf(10, p);
    if (podPrefixEnd(head, p, nl < 0 ? head.length : nl) >= 0) return true;
    if (nl < 0) break;
    p = nl + 1;
  }
  return false;
}
