import { DescriptorTail } from './descriptor-tail.js';

/** How long a renamed-away file may stay missing before the tail gives up (the rescan finds it again). */
const MISSING_FOR_MS = 2000;
/** Bytes per read while catching up (tail-file's default of 64 KiB costs twice the time). */
const READ_CHUNK = 1024 * 1024;

/** A tail of `path` from `startPos`, polled every `pollIntervalMs`; its caller starts it once its listeners are on. */
export function createTail(path: string, startPos: number, pollIntervalMs: number): DescriptorTail {
  return new DescriptorTail(path, {
    startPos,
    pollFileIntervalMs: pollIntervalMs,
    pollFailureRetryMs: pollIntervalMs,
    maxPollFailures: Math.max(3, Math.ceil(MISSING_FOR_MS / pollIntervalMs)),
    readStreamOpts: { highWaterMark: READ_CHUNK },
  });
}

/** tail-file's quit() waits for one last poll that may never report: bound it. */
export async function quitTail(tail: DescriptorTail): Promise<void> {
  tail.removeAllListeners('data');
  tail.on('error', () => {});
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    tail.quit().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 500);
    }),
  ]);
  clearTimeout(timer);
  tail.destroy();
}
