import { createReadStream, constants as fsConstants } from 'node:fs';
import { access, open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { InputCursor } from '../../../pipeline/pipeline.js';
import type { Checkpoint } from '../../../store/sqlite/checkpoints.js';
import { fingerprintOf } from './fingerprint.js';

/** An argument that cannot be used as an input (the CLI exits with code 2). */
export class InputError extends Error {}

const READ_CHUNK = 1024 * 1024;

/** Fails fast, before anything is read, on inputs that cannot work. */
export async function checkInputPaths(paths: string[]): Promise<void> {
  if (paths.filter((p) => p === '-').length > 1) throw new InputError('stdin (-) can be given only once');
  for (const p of paths) {
    if (p === '-') continue;
    let st;
    try {
      st = await stat(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new InputError(code === 'ENOENT' ? `no such file: ${p}` : `cannot read ${p}: ${(err as Error).message}`);
    }
    if (st.isDirectory()) throw new InputError(`${p} is a directory; give the log files inside it (for example ${p}/*.log)`);
    try {
      await access(p, fsConstants.R_OK);
    } catch {
      throw new InputError(`cannot read ${p}: permission denied`);
    }
  }
}

/** Where to resume an input, by fingerprint (null = from the start). */
export type CheckpointLookup = (fingerprint: string) => Checkpoint | null;

/** A stream of bytes that has an identity and knows where processing resumes. */
export interface ChunkSource {
  readonly cursor: InputCursor;
  /** The next bytes after what was already processed; null at the end. */
  next(): Promise<Buffer | null>;
  /** Set when the input could not be read to its end (truncated gzip, read error). */
  readonly warning: string | null;
  close(): void;
}

/**
 * One replayed input (plain file, .gz archive, or stdin) as bytes: `identify()` finds its
 * identity from its first line and where to resume after its checkpoint; `next()` then
 * yields the bytes from there on (a plain file is opened at the offset; gzip and stdin are
 * read and the processed prefix discarded). Gzip is recognised by its magic bytes, not its
 * name, on files and on stdin.
 */
export class ReplayInput implements ChunkSource {
  readonly cursor: InputCursor;
  warning: string | null = null;
  private chunks: AsyncIterator<Buffer> | null = null;
  private stream: Readable | null = null;
  private gzip = false;
  private size = -1;
  /** Bytes read while identifying, returned by the first `next()`. */
  private head: Buffer | null = null;
  private eof = false;
  private skipBytes = 0;

  constructor(
    readonly path: string,
    private readonly lookup: CheckpointLookup,
  ) {
    const origin = path === '-' ? 'stdin' : path;
    this.cursor = { origin, path: origin, fingerprint: null, dev: null, ino: null, offset: 0, lineNo: 0, dirty: false, checkpointed: true };
  }

  /** Reads the first line, looks up the checkpoint and positions after it (cursor.offset/lineNo). */
  async identify(): Promise<void> {
    if (this.path === '-') {
      this.stream = process.stdin;
    } else {
      const st = await stat(this.path);
      this.cursor.dev = st.dev;
      this.cursor.ino = st.ino;
      this.size = st.size;
      const fh = await open(this.path, 'r');
      try {
        const magic = Buffer.alloc(2);
        const { bytesRead } = await fh.read(magic, 0, 2, 0);
        this.gzip = bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
      } finally {
        await fh.close();
      }
      this.stream = this.openFile(0);
    }
    let head: Buffer = Buffer.alloc(0);
    let fingerprint: string | null = null;
    this.chunks = this.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    for (;;) {
      let chunk: Buffer | null;
      try {
        chunk = await this.rawNext();
      } catch (err) {
        this.warning = `${this.cursor.origin}: ${describeReadError(err, this.gzip)}`;
        chunk = null;
      }
      if (chunk === null) this.eof = true;
      else head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      if (this.path === '-' && !this.gzip && head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
        this.gzip = true;
        this.restartStdinThroughGunzip(head);
        head = Buffer.alloc(0);
        continue;
      }
      fingerprint = fingerprintOf(head, this.eof);
      if (fingerprint !== null || this.eof) break;
    }
    this.cursor.fingerprint = fingerprint;
    const cp = fingerprint === null ? null : this.lookup(fingerprint);
    let offset = cp?.offset ?? 0;
    let lineNo = cp?.lineNo ?? 0;
    if (!this.gzip && this.size >= 0 && offset > this.size) {
      this.warning = `${this.path} is shorter than its checkpoint (${this.size} < ${offset} bytes): read from the start`;
      offset = 0;
      lineNo = 0;
    }
    this.cursor.offset = offset;
    this.cursor.lineNo = lineNo;
    if (offset > 0 && !this.gzip && this.path !== '-') {
      // Plain file: seek instead of reading what was already processed.
      this.close();
      this.stream = this.openFile(offset);
      this.chunks = this.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      this.eof = false;
      return;
    }
    this.skipBytes = offset;
    this.head = this.discard(head);
  }

  async next(): Promise<Buffer | null> {
    if (this.head !== null) {
      const head = this.head;
      this.head = null;
      if (head.length > 0) return head;
    }
    if (this.eof) return null;
    for (;;) {
      let chunk: Buffer | null;
      try {
        chunk = await this.rawNext();
      } catch (err) {
        this.warning = `${this.cursor.origin}: ${describeReadError(err, this.gzip)}; the lines before the damage were processed`;
        chunk = null;
      }
      if (chunk === null) {
        this.eof = true;
        if (this.skipBytes > 0) this.warning ??= `${this.cursor.origin} ended before its checkpoint: nothing new to read`;
        this.close();
        return null;
      }
      const rest = this.discard(chunk);
      if (rest !== null) return rest;
    }
  }

  close(): void {
    if (this.stream !== process.stdin) this.stream?.destroy();
    this.stream = null;
  }

  private discard(chunk: Buffer): Buffer | null {
    if (this.skipBytes === 0) return chunk;
    if (chunk.length <= this.skipBytes) {
      this.skipBytes -= chunk.length;
      return null;
    }
    const rest = chunk.subarray(this.skipBytes);
    this.skipBytes = 0;
    return rest;
  }

  private async rawNext(): Promise<Buffer | null> {
    if (this.chunks === null) return null;
    const r = await this.chunks.next();
    return r.done ? null : (r.value as Buffer);
  }

  private openFile(start: number): Readable {
    const file = createReadStream(this.path, { start: this.gzip ? 0 : start, highWaterMark: READ_CHUNK });
    if (!this.gzip) return file;
    const gunzip = createGunzip({ chunkSize: READ_CHUNK });
    file.on('error', (err) => gunzip.destroy(err));
    return file.pipe(gunzip);
  }

  /** Stdin turned out to be gzip: decompress what was read and the rest of the stream. */
  private restartStdinThroughGunzip(head: Buffer): void {
    const rest = this.chunks!;
    const compressed = Readable.from(
      (async function* () {
        yield head;
        for (let r = await rest.next(); !r.done; r = await rest.next()) yield r.value as Buffer;
      })(),
    );
    const gunzip = createGunzip({ chunkSize: READ_CHUNK });
    compressed.on('error', (err) => gunzip.destroy(err));
    compressed.pipe(gunzip);
    this.stream = gunzip;
    this.chunks = gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }
}

function describeReadError(err: unknown, gzip: boolean): string {
  const msg = (err as Error).message ?? String(err);
  if (gzip && /unexpected end of file/i.test(msg)) return 'the gzip archive is truncated';
  if (gzip) return `the gzip archive is damaged (${msg})`;
  return `read error (${msg})`;
}
