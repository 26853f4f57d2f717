import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import * as zlib from 'node:zlib';

/**
 * Built lookup tables kept as one binary file of typed arrays, so that a process reads a few
 * tens of megabytes in milliseconds instead of rebuilding them from the data packages (which
 * takes seconds for the geo table). The file is keyed by everything the table is built from
 * (package version, file sizes and times, this format) and is only an optimisation: any doubt
 * about it (wrong key, wrong size, wrong checksum, unsafe directory, failed write) means
 * building from source.
 *
 * A file carries the CRC-32 of its sections. A file whose checksum matches holds exactly the
 * bytes a build produced, so the table is opened without checking every range again: that
 * check took 25-90 ms at each start (a small replay waits for it), the checksum 5-17 ms. It
 * also catches damage that leaves a table well-formed but wrong (a flipped bit in a country).
 */

export type Section = Uint8Array | Uint16Array | Uint32Array | Int32Array;
export type Sections = Readonly<Record<string, Section>>;

/** How a table came to be in memory; worth a log line at start-up. */
export interface TableLoad {
  readonly source: 'cache' | 'built';
  /** Wall time of preload(), milliseconds. */
  readonly ms: number;
  /** Bytes held by the table's typed arrays. */
  readonly bytes: number;
  /** The cache file read or written, or null when caching is off or failed. */
  readonly cacheFile: string | null;
  /** Why the cache was not used or not written, when it was not. */
  readonly cacheNote: string | null;
}

const MAGIC = 'OUWTAB01';
/** 2: the header holds the sections' CRC-32. */
const FORMAT = 2;

/** zlib.crc32 came with Node 20.15; without it, files carry no checksum and are checked entry by entry. */
const crc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
/** A cache file larger than this is not one of ours. */
const MAX_FILE_BYTES = 1 << 30;

/** Default cache directory: private to this user, under the system's temporary directory. */
export function defaultCacheDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  return join(tmpdir(), `ouwatch-${uid}`);
}

export interface LoadRequest<T> {
  /** File name prefix (`geo`, `asn`): one current file per prefix is kept in the directory. */
  readonly name: string;
  /** Everything the table depends on; a different key means a different file. */
  readonly key: Readonly<Record<string, unknown>>;
  /** null: no caching. */
  readonly cacheDir: string | null;
  readonly build: () => Sections;
  /**
   * Turns sections into the table; throws when they do not form a valid table. `trusted`:
   * they are exactly what `build` made (just built, or read back with a matching checksum),
   * so checking every entry again can be skipped.
   */
  readonly open: (sections: Sections, trusted: boolean) => T;
}

/** Reads the table from the cache when a valid one exists, otherwise builds it and tries to cache it. */
export function loadTable<T>(request: LoadRequest<T>): { table: T; load: TableLoad } {
  const started = performance.now();
  const key = JSON.stringify({ format: FORMAT, endianness: endianness(), ...request.key });
  let file: string | null = null;
  let note: string | null = null;
  if (request.cacheDir === null) {
    note = 'caching is off';
  } else {
    note = privateDirProblem(request.cacheDir);
    if (note === null) {
      file = join(request.cacheDir, `${request.name}-${createHash('sha256').update(key).digest('hex').slice(0, 16)}.bin`);
      const read = readSections(file, key);
      if (read !== null && 'rejected' in read) {
        note = `cache file rejected (${read.rejected}), rebuilt`;
      } else if (read !== null) {
        try {
          const table = request.open(read.sections, read.checksummed);
          return { table, load: { source: 'cache', ms: performance.now() - started, bytes: byteSize(read.sections), cacheFile: file, cacheNote: null } };
        } catch (err) {
          note = `cache file rejected (${(err as Error).message}), rebuilt`;
        }
      }
    }
  }
  const sections = request.build();
  const table = request.open(sections, true);
  if (file !== null) {
    try {
      writeSections(request.cacheDir!, request.name, file, key, sections);
    } catch (err) {
      note = `cache not written: ${(err as Error).message}`;
      file = null;
    }
  }
  return { table, load: { source: 'built', ms: performance.now() - started, bytes: byteSize(sections), cacheFile: file, cacheNote: note } };
}

function byteSize(sections: Sections): number {
  let total = 0;
  for (const s of Object.values(sections)) total += s.byteLength;
  return total;
}

/**
 * The cache is trusted input, so it must live where nobody else can write: a directory we own
 * that is not writable by group or others (created 0700 when missing). null when it is fine.
 */
function privateDirProblem(dir: string): string | null {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    if (!st.isDirectory()) return `${dir} is not a directory`;
    if (typeof process.getuid === 'function') {
      if (st.uid !== process.getuid()) return `${dir} belongs to another user`;
      if ((st.mode & 0o022) !== 0) return `${dir} is writable by group or others`;
    }
    return null;
  } catch (err) {
    return `cache directory unusable: ${(err as Error).message}`;
  }
}

type SectionType = 'u8' | 'u16' | 'u32' | 'i32';
interface SectionHeader {
  readonly name: string;
  readonly type: SectionType;
  readonly length: number;
}

function typeOf(s: Section): SectionType {
  if (s instanceof Uint8Array) return 'u8';
  if (s instanceof Uint16Array) return 'u16';
  if (s instanceof Uint32Array) return 'u32';
  return 'i32';
}

const BYTES: Record<SectionType, number> = { u8: 1, u16: 2, u32: 4, i32: 4 };
const align8 = (n: number) => (n + 7) & ~7;

/** A file's sections, and whether its checksum vouched for them; or why a file of ours was refused; or null (no usable file). */
type ReadResult = { sections: Sections; checksummed: boolean } | { rejected: string } | null;

function readSections(file: string, key: string): ReadResult {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    if (size < 16 || size > MAX_FILE_BYTES) return null;
    // One ArrayBuffer for the whole file: every section is a view into it, nothing is copied.
    const bytes = new Uint8Array(new ArrayBuffer(size));
    let got = 0;
    while (got < size) {
      const n = readSync(fd, bytes, got, size - got, got);
      if (n === 0) return null;
      got += n;
    }
    const buf = Buffer.from(bytes.buffer, 0, size);
    if (buf.toString('latin1', 0, 8) !== MAGIC) return null;
    const headerLength = buf.readUInt32LE(8);
    if (12 + headerLength > size) return null;
    const header = JSON.parse(buf.toString('utf8', 12, 12 + headerLength)) as { key?: unknown; sections?: unknown; crc32?: unknown };
    if (header.key !== key || !Array.isArray(header.sections)) return null;
    const bodyStart = align8(12 + headerLength);
    let checksummed = false;
    if (crc32 !== undefined && typeof header.crc32 === 'number') {
      if (crc32(bytes.subarray(bodyStart)) !== header.crc32) return { rejected: 'checksum does not match' };
      checksummed = true;
    }
    const out: Record<string, Section> = Object.create(null) as Record<string, Section>;
    let at = bodyStart;
    for (const s of header.sections as SectionHeader[]) {
      const width = BYTES[s.type];
      if (width === undefined || !Number.isSafeInteger(s.length) || s.length < 0 || typeof s.name !== 'string' || !/^[A-Za-z0-9]+$/.test(s.name)) return null;
      if (at + s.length * width > size) return null;
      out[s.name] = view(bytes.buffer, s.type, at, s.length);
      at = align8(at + s.length * width);
    }
    return at === size ? { sections: out, checksummed } : null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

function view(buffer: ArrayBuffer, type: SectionType, offset: number, length: number): Section {
  switch (type) {
    case 'u8':
      return new Uint8Array(buffer, offset, length);
    case 'u16':
      return new Uint16Array(buffer, offset, length);
    case 'u32':
      return new Uint32Array(buffer, offset, length);
    case 'i32':
      return new Int32Array(buffer, offset, length);
  }
}

/** Written beside the final name and renamed into place, so a reader never sees half a file. */
function writeSections(dir: string, name: string, file: string, key: string, sections: Sections): void {
  const headers: SectionHeader[] = Object.entries(sections).map(([n, s]) => ({ name: n, type: typeOf(s), length: s.length }));
  const padding = Buffer.alloc(8);
  const body = Object.values(sections).map((s) => ({ bytes: new Uint8Array(s.buffer, s.byteOffset, s.byteLength), pad: align8(s.byteLength) - s.byteLength }));
  let checksum: number | undefined;
  if (crc32 !== undefined) {
    checksum = 0;
    for (const part of body) checksum = crc32(padding.subarray(0, part.pad), crc32(part.bytes, checksum));
  }
  const header = Buffer.from(JSON.stringify({ key, sections: headers, crc32: checksum }), 'utf8');
  const prefix = Buffer.alloc(align8(12 + header.length));
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(header.length, 8);
  header.copy(prefix, 12);
  const temp = `${file}.${process.pid}-${threadId}-${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeAll(fd, prefix);
    for (const part of body) {
      writeAll(fd, part.bytes);
      if (part.pad > 0) writeAll(fd, padding.subarray(0, part.pad));
    }
    closeSync(fd);
    renameSync(temp, file);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    try {
      unlinkSync(temp);
    } catch {
      // nothing to remove
    }
    throw err;
  }
  removeStale(dir, name, file);
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

/**
 * Files built from older data are never read again; keep the directory from filling up. The
 * few newest stay: two installations side by side (an upgrade, a second checkout) each keep
 * theirs instead of deleting each other's and rebuilding on every start.
 */
const KEEP_NEWEST = 4;

function removeStale(dir: string, name: string, keep: string): void {
  try {
    const files = readdirSync(dir)
      .filter((entry) => entry.startsWith(`${name}-`) && entry.endsWith('.bin'))
      .map((entry) => join(dir, entry))
      .filter((path) => path !== keep)
      .map((path) => ({ path, mtime: statSync(path).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime);
    for (const f of files.slice(KEEP_NEWEST - 1)) unlinkSync(f.path);
  } catch {
    // another process may be tidying up too
  }
}
