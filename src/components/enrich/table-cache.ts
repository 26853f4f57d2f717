import { mkdirSync, lstatSync, readFileSync, statSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { shortHash } from '../../core/identity.js';
import { ALL_RESIDENT, TableFileDamaged, type Residency } from './residency.js';
import { FORMAT, readSections, writeSections, type Sections } from './table-file.js';

/**
 * Built lookup tables kept as one binary file of typed arrays, so that a process does not
 * rebuild them from the data packages (which takes seconds for the geo table). The file is
 * keyed by everything the table is built from (package version, file sizes and times, this
 * format) and is only an optimisation: any doubt about it (wrong key, wrong size, wrong
 * checksum, unsafe directory, failed write) means building from source.
 *
 * The file is read in on demand, a page (16 KiB) at a time, each page checked against its
 * CRC-32 before the table reads it. Reading the whole 35 MB of the two tables at start-up
 * cost 90 ms here, nearly all of it the first touch of fresh memory, and their checksum
 * another 45 ms, while a small replay meets a few dozen public addresses, and a day of
 * benign traffic a few thousand. A checked page holds exactly the bytes a build produced,
 * so its ranges are not validated again; damage found later (a flipped bit) means the table
 * is built again from source at that lookup (CachedTable).
 */

export type { Section } from './residency.js';
export type { Sections } from './table-file.js';

/** How a table came to be in memory; worth a log line at start-up. */
export interface TableLoad {
  readonly source: 'cache' | 'built';
  /** Wall time of preload(), milliseconds. */
  readonly ms: number;
  /** Bytes of the table's typed arrays (from the cache: reserved, read in as lookups need them). */
  readonly bytes: number;
  /** The cache file read or written, or null when caching is off or failed. */
  readonly cacheFile: string | null;
  /** Why the cache was not used or not written, when it was not. */
  readonly cacheNote: string | null;
}

/** Default cache directory: private to this user, under the system's temporary directory. */
export function defaultCacheDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  return join(tmpdir(), `ouwatch-${uid}`);
}

/**
 * The part of a table's key that names its sources: the data directory, the version in
 * `packageJson` (null when the files are not inside a package) and each file's size and
 * modification time.
 */
export function sourceFilesKey(dataDir: string, packageJson: string, files: readonly string[]): Record<string, unknown> {
  let version: string | null = null;
  try {
    version = (JSON.parse(readFileSync(packageJson, 'utf8')) as { version?: string }).version ?? null;
  } catch {
    // files outside their package (downloaded or copied on their own)
  }
  const stats = files.map((f) => {
    const st = statSync(join(dataDir, f));
    return [f, st.size, st.mtimeMs];
  });
  return { dataDir, version, files: stats };
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
   * they are exactly what `build` made (just built, or read back with matching checksums),
   * so checking every entry again can be skipped. The table asks `residency` for the
   * elements it reads, before it reads them (open included).
   */
  readonly open: (sections: Sections, trusted: boolean, residency: Residency) => T;
}

/**
 * Reads the table from the cache when a valid one exists, otherwise builds it and tries to
 * cache it. `rejected`: the cache file was found damaged after it was opened; build again.
 */
export function loadTable<T>(request: LoadRequest<T>, rejected?: string): { table: T; load: TableLoad } {
  const started = performance.now();
  const key = JSON.stringify({ format: FORMAT, endianness: endianness(), ...request.key });
  let file: string | null = null;
  let note: string | null = null;
  if (request.cacheDir === null) {
    note = 'caching is off';
  } else {
    note = privateDirProblem(request.cacheDir);
    if (note === null) {
      file = join(request.cacheDir, `${request.name}-${shortHash(key)}.bin`);
      const read = rejected === undefined ? readSections(file, key) : { rejected };
      if (read !== null && 'rejected' in read) {
        note = `cache file rejected (${read.rejected}), rebuilt`;
      } else if (read !== null) {
        try {
          const table = request.open(read.sections, read.checksummed, read.residency);
          return { table, load: { source: 'cache', ms: performance.now() - started, bytes: byteSize(read.sections), cacheFile: file, cacheNote: null } };
        } catch (err) {
          read.release();
          note = `cache file rejected (${(err as Error).message}), rebuilt`;
        }
      }
    }
  }
  const sections = request.build();
  const table = request.open(sections, true, ALL_RESIDENT);
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

/**
 * A table loaded on first use, that builds itself again from source when a page of its cache
 * file turns out damaged during a lookup (the lookup is then answered from the new table).
 */
export class CachedTable<T> {
  private table: T | null = null;
  private info: TableLoad | null = null;

  constructor(private readonly request: () => LoadRequest<T>) {}

  /** Loads the table now (from the cache, or by building it); later calls return the latest load. */
  preload(): TableLoad {
    if (this.info === null) this.load(undefined);
    return this.info!;
  }

  /** The table, or null before the first load. */
  get current(): T | null {
    return this.table;
  }

  /** Runs a lookup against the table, loading it first if need be. */
  read<R>(lookup: (table: T) => R): R {
    if (this.table === null) this.preload();
    try {
      return lookup(this.table!);
    } catch (err) {
      if (!(err instanceof TableFileDamaged)) throw err;
      this.load(err.message);
      return lookup(this.table!);
    }
  }

  private load(rejected: string | undefined): void {
    const { table, load } = loadTable(this.request(), rejected);
    this.table = table;
    this.info = load;
  }
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
