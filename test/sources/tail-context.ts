import pino from 'pino';
import { FileInput } from '../../src/components/sources/files/log-segment.js';
import type { TailContext } from '../../src/components/sources/files/tail-context.js';
import { RecordChannel } from './record-channel.js';

/** An input a followed path opened, with the records its bytes made. */
export interface OpenedInput {
  fingerprint: string;
  offset: number;
  channel: RecordChannel;
}

/**
 * The context of a followed path for tests that drive one TailedFile alone: the source's
 * answer to "where was this log left" is the test's `claim`, every input opened is listed
 * in `inputs` (decoded by the real record decoder), nothing is lost, rescans find nothing.
 */
export function recordingTailContext(claim: TailContext['claim']): { ctx: TailContext; inputs: OpenedInput[] } {
  const inputs: OpenedInput[] = [];
  const ctx: TailContext = {
    log: pino({ level: 'silent' }),
    pollIntervalMs: 20,
    startAt: 'beginning',
    maxLineBytes: 65_536,
    claim,
    open: (at) => {
      const channel = new RecordChannel(at.offset, at.lineNo);
      inputs.push({ fingerprint: at.fingerprint, offset: at.offset, channel });
      return new FileInput(at, channel);
    },
    lost: () => {},
    rescan: async () => {},
  };
  return { ctx, inputs };
}
