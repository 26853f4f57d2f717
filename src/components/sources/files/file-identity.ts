import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FINGERPRINT_SCAN_BYTES, TAIL_HASH_BYTES, fingerprintOf, tailHash } from './fingerprint.js';
import { startsWithGzipMagic } from './gzip.js';

/**
 * What a tailed file is: device and inode (which file, wherever it was renamed to) and the
 * fingerprint of its first line (which log, even in a copy). A checkpoint belongs to the
 * fingerprint; device and inode find a file that was rotated away while ouwatch was stopped.
 */
export interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  /** Null while the first line is still incomplete: the file cannot be identified yet. */
  fingerprint: string | null;
  gzip: boolean;
}

/** The identity of the file now at `path`, or null when there is none (or it is not a file). */
export async function identifyFile(path: string): Promise<FileIdentity | null> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return null;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return null;
    const head = Buffer.alloc(Math.min(st.size, FINGERPRINT_SCAN_BYTES));
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const bytes = head.subarray(0, bytesRead);
    return {
      dev: st.dev,
      ino: st.ino,
      size: st.size,
      fingerprint: fingerprintOf(bytes, false),
      gzip: startsWithGzipMagic(bytes),
    };
  } finally {
    await fh.close();
  }
}

/**
 * The same, synchronously and without the size: checked after each chunk a tail delivers, to
 * notice a file truncated and rewritten between two polls (the tail would otherwise read the
 * new content from the old offset). Null when nothing is at `path`.
 */
export function identifyFileSync(path: string): { dev: number; ino: number; size: number; fingerprint: string | null } | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    const head = Buffer.alloc(Math.min(st.size, FINGERPRINT_SCAN_BYTES));
    const n = head.length > 0 ? readSync(fd, head, 0, head.length, 0) : 0;
    return { dev: st.dev, ino: st.ino, size: st.size, fingerprint: fingerprintOf(head.subarray(0, n), false) };
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** A regular file in `dir` with this device and inode (where a rotated file went), or null. */
export async function findByInode(dir: string, dev: number, ino: number): Promise<string | null> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return null;
  }
  for (const name of names) {
    const p = join(dir, name);
    try {
      const st = await stat(p);
      if (st.isFile() && st.dev === dev && st.ino === ino) return p;
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

/** Offset just after the last newline before `size` (where a reader starting "at the end" begins). */
export async function lastLineEnd(path: string, size: number): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const step = 64 * 1024;
    for (let end = size; end > 0; end -= step) {
      const start = Math.max(0, end - step);
      const buf = Buffer.alloc(end - start);
      await fh.read(buf, 0, buf.length, start);
      const nl = buf.lastIndexOf(10);
      if (nl >= 0) return start + nl + 1;
    }
    return 0;
  } finally {
    await fh.close();
  }
}

/** Whether the (up to) 4 KiB of `path` before `offset` hash to `expected` (a checkpoint's tail hash). */
export async function tailMatches(path: string, offset: number, expected: string): Promise<boolean> {
  const n = Math.min(TAIL_HASH_BYTES, offset);
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return false;
  }
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, offset - n);
    return bytesRead === n && tailHash(buf) === expected;
  } finally {
    await fh.close();
  }
}

/** The same check on bytes already read from a file's start. */
export function tailMatchesBuffer(head: Buffer, offset: number, expected: string): boolean {
  const n = Math.min(TAIL_HASH_BYTES, offset);
  return head.length >= offset && tailHash(head.subarray(offset - n, offset)) === expected;
}
