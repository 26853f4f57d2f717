import { createReadStream, type ReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import TailFile from '@logdna/tail-file';

/**
 * @logdna/tail-file with its reads made through the descriptor it holds open.
 *
 * The library polls with a stat of the path and then opens the path by name to read what
 * was appended. A rotation between the two made it read the new file from the old file's
 * offset (mid-line, as the old log's continuation), then the rest of the old file from the
 * advanced offset and the new file again from byte 0: lines lost and lines read twice. It
 * keeps the file open anyway (to read a renamed file's rest), so reading through that handle
 * reads exactly the file the poll looked at. Everything else (polling, rename and truncation
 * detection, events, backpressure) is the library's.
 *
 * Its state lives behind module-private symbols; they are found by description once per
 * tail, and a version of the library without them fails loudly here rather than tailing by
 * name again unnoticed (package.json pins the version this was written against, 4.0.2).
 */
export class DescriptorTail extends TailFile {
  private readonly keys: { fileHandle: symbol; startPos: symbol; inode: symbol; stream: symbol; opts: symbol };

  constructor(
    private readonly filename: string,
    opts: ConstructorParameters<typeof TailFile>[1],
  ) {
    super(filename, opts);
    const own = Object.getOwnPropertySymbols(this);
    const find = (description: string): symbol => {
      const key = own.find((s) => s.description === description);
      if (key === undefined) throw new Error(`@logdna/tail-file no longer has its '${description}' state: DescriptorTail needs updating for this version`);
      return key;
    };
    this.keys = { fileHandle: find('fileHandle'), startPos: find('startPos'), inode: find('inode'), stream: find('stream'), opts: find('opts') };
    if (typeof (this as unknown as { _readChunks?: unknown })._readChunks !== 'function') {
      throw new Error('@logdna/tail-file no longer has _readChunks: DescriptorTail needs updating for this version');
    }
  }

  private get state(): Record<symbol, unknown> {
    return this as unknown as Record<symbol, unknown>;
  }

  /** Replaces the library's read by name: the handle's file from the position read so far. */
  async _streamFileChanges(): Promise<void> {
    try {
      let handle = this.state[this.keys.fileHandle] as FileHandle | null;
      if (handle === null) {
        // The file went missing and its rest was read; the path names a file again with the
        // inode the poll knows (renamed back). Anything else is left to the next poll, which
        // sees another inode and starts the new file from its first byte.
        const reopened = await open(this.filename, 'r');
        if ((await reopened.stat()).ino !== this.state[this.keys.inode]) {
          await reopened.close();
          return;
        }
        handle = reopened;
        this.state[this.keys.fileHandle] = handle;
      } else {
        // After a rename the library opens the path by name after its stat: if the path
        // changed again in between, the handle holds the newer file, and its inode is what
        // the next poll must compare with (the file in between is found by the rescan under
        // its rotated name).
        this.state[this.keys.inode] = (await handle.stat()).ino;
      }
      const readStreamOpts = (this.state[this.keys.opts] as { readStreamOpts?: object }).readStreamOpts;
      const stream: ReadStream = createReadStream('', {
        ...readStreamOpts,
        // The number, not the handle: a stream given the handle adds a 'close' listener to it
        // that is never removed (one per poll that finds new bytes). The handle outlives the
        // stream: it is closed only after a rename's rest is read or when the tail quits.
        fd: handle.fd,
        autoClose: false,
        start: this.state[this.keys.startPos] as number,
      });
      stream.setMaxListeners(100);
      await this.readChunks(stream);
    } catch (err) {
      this.readFailed(err);
    }
  }

  /**
   * Replaces the library's: the rest of a renamed file in bounded reads (it read it into one
   * buffer, as large as whatever was written since the last poll).
   */
  async _readRemainderFromFileHandle(): Promise<void> {
    const handle = this.state[this.keys.fileHandle] as FileHandle;
    this.state[this.keys.fileHandle] = null;
    try {
      let position = this.state[this.keys.startPos] as number;
      for (;;) {
        const { bytesRead, buffer } = await handle.read(Buffer.allocUnsafe(REMAINDER_CHUNK), 0, REMAINDER_CHUNK, position);
        if (bytesRead === 0) break;
        position += bytesRead;
        // Kept (the library did not): a file renamed back is read on from here, not again.
        this.state[this.keys.startPos] = position;
        this.push(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
    }
  }

  /** The library resumes a paused read here without catching: a failed read must not be an unhandled rejection. */
  override _read(): void {
    const stream = this.state[this.keys.stream] as ReadStream | null;
    if (stream === null) return;
    this.readChunks(stream).catch((err: unknown) => this.readFailed(err));
  }

  /** The library's loop that pushes a stream's chunks and advances its position. */
  private readChunks(stream: ReadStream): Promise<void> {
    return (this as unknown as { _readChunks(s: ReadStream): Promise<void> })._readChunks(stream);
  }

  /** Reported as the library reports a failed read: a `tail_error` (retried at the next poll). */
  private readFailed(err: unknown): void {
    this.emit('tail_error', Object.assign(new Error('An error was encountered while tailing the file'), { code: 'ETAIL', meta: { actual: err } }));
  }
}

/** Bytes per read of a renamed file's rest. */
const REMAINDER_CHUNK = 1024 * 1024;
