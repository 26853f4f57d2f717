import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, futimesSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import * as zlib from 'node:zlib';
import { readFully } from './record-file.js';
import { ALL_RESIDENT, TableFileDamaged, type Residency, type Section } from './residency.js';

/**
 * The cache file of a built table (table-cache.ts): a magic, a JSON header (the key, each
 * section's name, type and length, a CRC-32 per 16 KiB page of the body) and the sections'
 * bytes, each aligned to 8. Written beside its final name and renamed into place; read page
 * by page as lookups reach it, each page checked before use.
 */

export type Sections = Readonly<Record<string, Section>>;

const MAGIC = 'OUWTAB01';
/** 2: the header holds the sections' CRC-32. 3: a CRC-32 per page, and pages read on demand. */
export const FORMAT = 3;
const PAGE_SHIFT = 14;
const PAGE_BYTES = 1 << PAGE_SHIFT;

/** zlib.crc32 came with Node 20.15; without it, files carry no checksums, are read whole and checked entry by entry. */
const crc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
/** A cache file larger than this is not one of ours. */
const MAX_FILE_BYTES = 1 << 30;

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

/**
 * A file's sections, whether checksums vouch for them, what reads them in and how to let the
 * file go when the table refuses them; or why a file of ours was refused; or null (no usable file).
 */
type ReadResult = { sections: Sections; checksummed: boolean; residency: Residency; release: () => void } | { rejected: string } | null;

interface FileHeader {
  key?: unknown;
  sections?: unknown;
  /** CRC-32 of each page of the body (format 3), absent when the writer had no zlib.crc32. */
  pages?: unknown;
}

export function readSections(file: string, key: string): ReadResult {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  let keepOpen = false;
  try {
    const size = fstatSync(fd).size;
    if (size < 16 || size > MAX_FILE_BYTES) return null;
    const prefix = Buffer.alloc(12);
    if (readFully(fd, prefix, 0, 12, 0) < 12) return null;
    if (prefix.toString('latin1', 0, 8) !== MAGIC) return null;
    const headerLength = prefix.readUInt32LE(8);
    if (12 + headerLength > size) return null;
    const headerBytes = Buffer.alloc(headerLength);
    if (readFully(fd, headerBytes, 0, headerLength, 12) < headerLength) return null;
    const header = JSON.parse(headerBytes.toString('utf8')) as FileHeader;
    if (header.key !== key || !Array.isArray(header.sections)) return null;
    const bodyStart = align8(12 + headerLength);
    // One ArrayBuffer for the whole file, every section a view into it. Its memory is not
    // touched until a page is read into it: that first touch is most of what reading costs.
    const bytes = new Uint8Array(new ArrayBuffer(size));
    const out: Record<string, Section> = Object.create(null) as Record<string, Section>;
    let at = bodyStart;
    for (const s of header.sections as SectionHeader[]) {
      const width = BYTES[s.type];
      if (width === undefined || !Number.isSafeInteger(s.length) || s.length < 0 || typeof s.name !== 'string' || !/^[A-Za-z0-9]+$/.test(s.name)) return null;
      if (at + s.length * width > size) return null;
      out[s.name] = view(bytes.buffer, s.type, at, s.length);
      at = align8(at + s.length * width);
    }
    if (at !== size) return null;
    markUsed(fd);
    const pages = header.pages;
    if (crc32 !== undefined && Array.isArray(pages)) {
      if (pages.length !== Math.ceil((size - bodyStart) / PAGE_BYTES) || !pages.every((c) => Number.isInteger(c) && c >= 0 && c <= 0xffffffff)) return null;
      keepOpen = true;
      const paged = new PagedFile(fd, file, bytes, bodyStart, pages as number[]);
      return { sections: out, checksummed: true, residency: paged, release: () => paged.close() };
    }
    // No checksums: read it all now; the table checks every entry.
    if (readFully(fd, bytes, bodyStart, size - bodyStart, bodyStart) < size - bodyStart) return null;
    return { sections: out, checksummed: false, residency: ALL_RESIDENT, release: () => undefined };
  } catch {
    return null;
  } finally {
    if (!keepOpen) closeSync(fd);
  }
}

/**
 * A cache file's body read in page by page as lookups reach it, each page checked against
 * its CRC-32 first. The descriptor stays open until every page is in (the file may be
 * replaced meanwhile: this one still reads the bytes it opened).
 */
class PagedFile implements Residency {
  private readonly loaded: Uint8Array;
  private missing: number;
  private damage: string | null = null;

  constructor(
    private fd: number | null,
    private readonly file: string,
    private readonly bytes: Uint8Array,
    private readonly bodyStart: number,
    private readonly checksums: readonly number[],
  ) {
    this.loaded = new Uint8Array(checksums.length);
    this.missing = checksums.length;
    if (this.missing === 0) this.close();
  }

  ensure(section: Section, from: number, to: number): void {
    if (to <= from || this.missing === 0) return;
    const width = section.BYTES_PER_ELEMENT;
    const first = (section.byteOffset + from * width - this.bodyStart) >>> PAGE_SHIFT;
    const last = (section.byteOffset + to * width - 1 - this.bodyStart) >>> PAGE_SHIFT;
    for (let p = first; p <= last; p++) if (this.loaded[p] === 0) this.load(p);
  }

  private load(page: number): void {
    if (this.damage !== null || this.fd === null) throw new TableFileDamaged(this.damage ?? 'cache file closed');
    const start = this.bodyStart + page * PAGE_BYTES;
    const length = Math.min(PAGE_BYTES, this.bytes.length - start);
    let problem: string | null = null;
    try {
      if (readFully(this.fd, this.bytes, start, length, start) < length) problem = `${this.file} ended early`;
      else if (crc32!(this.bytes.subarray(start, start + length)) !== this.checksums[page]) problem = `checksum of page ${page} does not match`;
    } catch (err) {
      problem = `reading ${this.file}: ${(err as Error).message}`;
    }
    if (problem !== null) {
      this.damage = problem;
      this.close();
      throw new TableFileDamaged(problem);
    }
    this.loaded[page] = 1;
    if (--this.missing === 0) this.close();
  }

  /** Lets the file go (every page in, damage found, or the table refused); pages not read by then are not read. */
  close(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      // nothing left to release
    }
    this.fd = null;
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
export function writeSections(dir: string, name: string, file: string, key: string, sections: Sections): void {
  const headers: SectionHeader[] = Object.entries(sections).map(([n, s]) => ({ name: n, type: typeOf(s), length: s.length }));
  let bodyLength = 0;
  for (const s of Object.values(sections)) bodyLength += align8(s.byteLength);
  // The body is laid out whole first: its pages' checksums cross section boundaries.
  const body = Buffer.alloc(bodyLength);
  let at = 0;
  for (const s of Object.values(sections)) {
    body.set(new Uint8Array(s.buffer, s.byteOffset, s.byteLength), at);
    at += align8(s.byteLength);
  }
  let pages: number[] | undefined;
  if (crc32 !== undefined) {
    pages = [];
    for (let p = 0; p < bodyLength; p += PAGE_BYTES) pages.push(crc32(body.subarray(p, Math.min(p + PAGE_BYTES, bodyLength))));
  }
  const header = Buffer.from(JSON.stringify({ key, sections: headers, pages }), 'utf8');
  const prefix = Buffer.alloc(align8(12 + header.length));
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(header.length, 8);
  header.copy(prefix, 12);
  const temp = `${file}.${process.pid}-${threadId}-${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeAll(fd, prefix);
    writeAll(fd, body);
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
 * theirs instead of deleting each other's and rebuilding on every start. Newest by
 * modification time, which a read sets too (markUsed): the file of an installation in use
 * every day was otherwise the oldest, and the first to go, once a few others wrote theirs.
 */
const KEEP_NEWEST = 4;

/** A cache file read counts as new for removeStale. Best effort: a file it cannot touch is only removed sooner. */
function markUsed(fd: number): void {
  try {
    const now = new Date();
    futimesSync(fd, now, now);
  } catch {
    // read-only file system, or a file of another owner
  }
}

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
