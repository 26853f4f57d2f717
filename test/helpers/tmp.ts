import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/**
 * A fresh directory under the system temp dir, removed when the test (file) ends. Removal is
 * best effort: a child process killed a moment earlier may still be letting go of its files.
 */
export function tempDir(prefix = 'ouwatch-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
    } catch {
      // left in the temp dir; the OS cleans it
    }
  });
  return dir;
}
