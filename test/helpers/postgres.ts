import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import pg from 'pg';

/**
 * A real, throwaway PostgreSQL server for a test file: `initdb` in a temporary directory,
 * `pg_ctl start` on a free loopback port (TCP on 127.0.0.1 only, its socket in that directory),
 * stopped and removed when the file's tests end. As root (the CI container), the server runs as
 * the `postgres` user, since initdb refuses root. Each test takes a database of its own.
 */
export interface PgServer {
  readonly port: number;
  /** postgres://ouwatch@127.0.0.1:PORT/NAME (trust authentication on loopback: no password). */
  url(database: string): string;
  /** A new empty database, named after `hint` and unique in this server. */
  createDatabase(hint: string): Promise<string>;
  /** SQL as the superuser on `database`. */
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(database: string, sql: string, params?: unknown[]): Promise<T[]>;
  /** Stops the server (`fast`: sessions are ended; `immediate`: as a crash). */
  stop(mode?: 'fast' | 'immediate'): void;
  /** Starts it again after `stop`. */
  start(): void;
}

const USER = 'ouwatch';

/** The directory of PostgreSQL's server programs: Debian's newest, else whatever is on PATH. */
function binDir(): string {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(base, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (which.status === 0) return join(which.stdout.trim(), '..');
  throw new Error('PostgreSQL server programs (initdb, pg_ctl) not found: install Debian\'s postgresql package (.ci/run does)');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function postgresUid(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Starts a cluster for this test file (call it at the top level of the file); it is stopped (bounded) and deleted after the file. */
export async function startPostgres(): Promise<PgServer> {
  const bin = binDir();
  const owner = postgresUid();
  const dir = mkdtempSync(join(tmpdir(), 'ouwatch-pg-'));
  if (owner !== null) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  let port = await freePort();
  const run = (program: string, args: string[], timeoutMs = 60_000) => {
    const argv = owner === null ? [join(bin, program), ...args] : ['runuser', '-u', 'postgres', '--', join(bin, program), ...args];
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: timeoutMs, cwd: dir });
    if (r.status !== 0) throw new Error(`${program} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
  };
  run('initdb', ['-D', data, '-U', USER, '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync']);
  // Loopback TCP only, the socket in the test's directory; durability settings off (this server
  // lives for one test file; what is tested is ouwatch's behaviour, not PostgreSQL's disk).
  const options = () => `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60`;
  const start = () => run('pg_ctl', ['-D', data, '-o', options(), '-l', join(dir, 'server.log'), '-w', '-t', '30', 'start']);
  const stop = (mode: 'fast' | 'immediate' = 'fast') => run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '20', 'stop'], 30_000);
  // The port was free a moment ago; another test file's server (or any process) may take it
  // before this one binds it (a full run failed once so, "could not start server"). Another
  // port then, twice at most; the error carries the server's log.
  for (let attempt = 1; ; attempt++) {
    try {
      start();
      break;
    } catch (err) {
      const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8').trim().split('\n').slice(-5).join('\n') : '';
      if (attempt === 3) throw new Error(`${(err as Error).message}\nserver log:\n${log}`);
      process.stderr.write(`PostgreSQL did not start on port ${port} (attempt ${attempt}): ${log}\n`);
      port = await freePort();
    }
  }
  let running = true;
  after(() => {
    if (running) {
      try {
        stop('immediate');
      } catch {
        // removed below anyway; a leftover server dies with its directory's socket
      }
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
  });
  const url = (database: string) => `postgres://${USER}@127.0.0.1:${port}/${database}`;
  const query = async <T extends pg.QueryResultRow>(database: string, sql: string, params: unknown[] = []): Promise<T[]> => {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  let n = 0;
  return {
    port,
    url,
    query,
    async createDatabase(hint: string) {
      const name = `${hint.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 40)}_${++n}`;
      await query('postgres', `CREATE DATABASE ${name} OWNER ${USER}`);
      return name;
    },
    stop(mode) {
      stop(mode);
      running = false;
    },
    start() {
      start();
      running = true;
    },
  };
}
