import { accessSync, constants, existsSync, readFileSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { StorageFault, type StorageFaultKind } from '../../core/storage-fault.js';

/**
 * Turns SQLite's errors into StorageFault (the store cannot be written, for a reason outside
 * ouwatch) with a cause a person can act on; other errors (a bug, corruption) stay as they are.
 */

const KIND_OF: Array<[RegExp, StorageFaultKind]> = [
  [/^SQLITE_FULL/, 'full'],
  [/^SQLITE_READONLY/, 'read-only'],
  [/^SQLITE_(CANTOPEN|PERM|AUTH)/, 'read-only'],
  [/^SQLITE_IOERR/, 'io'],
  [/^SQLITE_(BUSY|LOCKED)/, 'busy'],
];

/** The StorageFault behind `err`, or null when `err` is not about writing the store. */
export function storageFaultOf(err: unknown, dbPath: string): StorageFault | null {
  if (err instanceof StorageFault) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  const kind = KIND_OF.find(([re]) => re.test(code))?.[1];
  if (kind === undefined) return null;
  const sqlite = `${(err as Error).message} (${code})`;
  // A read-only or immutable file, and a full volume, say more than SQLite's generic message.
  const blocked = writeProblem(dbPath);
  if (blocked !== null) return blocked;
  const space = freeSpace(dbPath);
  if (kind === 'full' || (kind === 'io' && space !== null && space < 1024 * 1024)) {
    return new StorageFault(dbPath, 'full', `${sqlite}: no space left${space === null ? '' : ` (${space} bytes free on the volume)`}`);
  }
  const limit = kind === 'io' ? fileSizeLimit() : null;
  if (limit !== null) return new StorageFault(dbPath, 'full', `${sqlite}: this process may not write files larger than ${limit} bytes (RLIMIT_FSIZE)`);
  if (kind === 'busy') return new StorageFault(dbPath, 'busy', `${sqlite}: another process kept the database locked`);
  return new StorageFault(dbPath, kind, sqlite);
}

/**
 * Why the db, its -wal or -shm file, or its directory cannot be written now (read-only file
 * system, immutable file, no permission), or null. access(2) answers without opening the file:
 * opening and closing a descriptor on the db would drop SQLite's POSIX locks. Checked before
 * every commit, because SQLite maps the -shm file into memory and writing to a mapping of an
 * immutable file kills the process (SIGBUS) instead of returning an error.
 */
export function writeProblem(dbPath: string): StorageFault | null {
  if (dbPath === ':memory:') return null;
  const full = resolve(dbPath);
  for (const p of [full, `${full}-wal`, `${full}-shm`]) {
    if (!existsSync(p)) continue;
    const why = accessProblem(p);
    if (why !== null) return new StorageFault(dbPath, 'read-only', `${p} ${why}`);
  }
  const dir = dirname(full);
  const why = existsSync(dir) ? accessProblem(dir) : null;
  return why === null ? null : new StorageFault(dbPath, 'read-only', `its directory ${dir} ${why}`);
}

function accessProblem(p: string): string | null {
  try {
    accessSync(p, constants.W_OK);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EROFS') return 'is on a read-only file system (EROFS)';
    if (code === 'EPERM') return 'is immutable (chattr +i) or write-protected (EPERM)';
    if (code === 'EACCES') return 'is not writable by this user (EACCES)';
    if (code === 'ENOENT') return null;
    return `cannot be written (${code ?? (err as Error).message})`;
  }
}

/** Bytes available to this user on the db's volume, or null when unknown. */
function freeSpace(dbPath: string): number | null {
  try {
    const s = statfsSync(dirname(resolve(dbPath)));
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

/** The process's file size limit in bytes (Linux), or null when unlimited or unknown. */
function fileSizeLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max file size'));
    const soft = line?.slice('Max file size'.length).trim().split(/\s+/)[0];
    return soft === undefined || soft === 'unlimited' ? null : Number(soft);
  } catch {
    return null;
  }
}
