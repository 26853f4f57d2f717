import { parentPort } from 'node:worker_threads';
import { StreamDecoder } from '../components/decode/stream-decoder.js';
import { Packer, transferables } from '../components/parse/packer.js';
import type { PackedBatch } from '../components/parse/packed.js';

/**
 * The parse worker: decodes and parses the chunks the main thread sends and answers each
 * with a PackedBatch, in order. Messages:
 *   {op: 'open', input, startOffset, startLineNo, timeZone, maxLineBytes}
 *   {op: 'chunk', input, bytes: ArrayBuffer}   -> batch
 *   {op: 'end', input}                          -> final batch (unterminated last line, etc.)
 */
export type WorkerRequest =
  | { op: 'open'; input: number; startOffset: number; startLineNo: number; timeZone: string; maxLineBytes: number }
  | { op: 'chunk'; input: number; bytes: ArrayBuffer }
  | { op: 'end'; input: number };

export type WorkerReply = { ok: true; batch: PackedBatch } | { ok: false; input: number; error: string };

interface Open {
  decoder: StreamDecoder;
  packer: Packer;
}

const inputs = new Map<number, Open>();
const port = parentPort!;

port.on('message', (msg: WorkerRequest) => {
  try {
    if (msg.op === 'open') {
      inputs.set(msg.input, {
        decoder: new StreamDecoder(msg.startOffset, msg.startLineNo, msg.maxLineBytes),
        packer: new Packer(msg.input, msg.timeZone),
      });
      return;
    }
    const open = inputs.get(msg.input);
    if (open === undefined) throw new Error(`input ${msg.input} is not open`);
    if (msg.op === 'chunk') open.decoder.write(Buffer.from(msg.bytes));
    else open.decoder.end();
    const batch = open.packer.pack(open.decoder.queue, msg.op === 'end', open.decoder.format);
    if (msg.op === 'end') inputs.delete(msg.input);
    port.postMessage({ ok: true, batch } satisfies WorkerReply, transferables(batch));
  } catch (err) {
    port.postMessage({ ok: false, input: msg.input, error: (err as Error).stack ?? String(err) } satisfies WorkerReply);
  }
});
