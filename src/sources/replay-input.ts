import { createReadStream, constants as fsConstants } from 'node:fs';
import { access, open, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { RecordQueue, StreamDecoder } from '../decode/stream-decoder.js';
import { DEFAULT_MAX_LINE_BYTES } from '../decode/lines.js';
import type { InputCursor } from '../pipeline.js';
import type { Checkpoint } from '../store/checkpoints.js';
import { fingerprintOf } from './fingerprint.js';

/** An argument that cannot be used as an input (the CLI exits with code 2). */
export class InputError extends Error {}

const READ_CHUNK = 1024 * 1024;
const NOTHING_YET = new RecordQueue();

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

/**
 * One replayed input (plain file, .gz archive, or stdin): finds its identity from its first
 * line, resumes after its checkpoint, and decodes chunk by chunk into its record queue.
 * Gzip is recognised by its magic bytes, not its name.
 */
export class ReplayInput {
  readonly cursor: InputCursor;
  decoder: StreamDecoder | null = null;
  ended = false;
  /** Set when the input could not be read to its end (truncated gzip, read error). */
  warning: string | null = null;
  private chunks: AsyncIterator<Buffer> | null = null;
  private stream: Readable | null = null;
  private gzip = false;
  private size = -1;

  constructor(
    readonly path: string,
    private readonly lookup: CheckpointLookup,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  ) {
    const origin = path === '-' ? 'stdin' : path;
    this.cursor = { origin, path: origin, fingerprint: null, dev: null, ino: null, offset: 0, lineNo: 0, dirty: false, checkpointed: true };
  }

  /** Records decoded and not yet consumed (empty until the input is identified). */
  get queue(): RecordQueue {
    return this.decoder?.queue ?? NOTHING_YET;
  }

  /**
   * Reads until at least one record is queued or the input ends. Returns false once the
   * input is exhausted and its queue is empty.
   */
  async fill(): Promise<boolean> {
    if (this.decoder === null) await this.identify();
    const decoder = this.decoder!;
    while (decoder.queue.size === 0 && !this.ended) {
      const chunk = await this.next();
      if (chunk === null) {
        this.ended = true;
        decoder.end();
        this.close();
      } else {
        decoder.write(chunk);
      }
    }
    return decoder.queue.size > 0;
  }

  close(): void {
    this.stream?.destroy();
    this.stream = null;
  }

  private async identify(): Promise<void> {
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
    // Stdin may also carry gzip (zcat-less pipes): look at the first bytes.
    let head: Buffer = Buffer.alloc(0);
    let eof = false;
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
      if (chunk === null) eof = true;
      else head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      if (this.path === '-' && !this.gzip && head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
        this.gzip = true;
        this.restartStdinThroughGunzip(head);
        head = Buffer.alloc(0);
        continue;
      }
      fingerprint = fingerprintOf(head, eof);
      if (fingerprint !== null || eof) break;
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
    this.decoder = new StreamDecoder(offset, lineNo, this.maxLineBytes);
    if (offset === 0) {
      if (head.length > 0) this.decoder.write(head);
      if (eof) this.pendingEof = true;
      return;
    }
    if (!this.gzip && this.path !== '-') {
      // Plain file: seek instead of reading what was already processed.
      this.close();
      this.stream = this.openFile(offset);
      this.chunks = this.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      return;
    }
    this.skipBytes = offset;
    const rest = this.discard(head);
    if (rest !== null) this.decoder.write(rest);
    if (eof) this.pendingEof = true;
  }

  private pendingEof = false;
  private skipBytes = 0;

  /** Next chunk after the already-processed prefix; null at the end. */
  private async next(): Promise<Buffer | null> {
    if (this.pendingEof) return null;
    for (;;) {
      let chunk: Buffer | null;
      try {
        chunk = await this.rawNext();
      } catch (err) {
        this.warning = `${this.cursor.origin}: ${describeReadError(err, this.gzip)}; the lines before the damage were processed`;
        return null;
      }
      if (chunk === null) {
        if (this.skipBytes > 0) this.warning = `${this.cursor.origin} ended before its checkpoint: nothing new to read`;
        return null;
      }
      const rest = this.discard(chunk);
      if (rest !== null) return rest;
    }
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
    const r = await this.chunks!.next();
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
