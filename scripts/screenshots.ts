// `npm run screenshots`: the README's pictures of the console (docs/console-*.png), taken from
// the sample day in Debian's chromium, exactly as the browser tests drive it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, startServe } from '../test/helpers/console.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ouwatch-shots-'));
const db = join(dir, 'sample.db');
const logs = [0, 1].map((r) => join(root, 'fixtures', 'sample', `openunison-orchestra-${r}.log`));
const replay = spawnSync(process.execPath, [join(root, 'bin', 'ouwatch.js'), 'replay', ...logs, '--db', db, '-q'], { stdio: 'inherit' });
if (replay.status !== 0) process.exit(1);
const serve = await startServe(['--db', db]);
const browser = await launchBrowser();
try {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1400, height: 860 });
  await page.goto(serve.url);
  await page.screenshot({ path: join(root, 'docs', 'console-queue.png'), fullPage: false });
  await page.goto(serve.url + 'users?dn=' + encodeURIComponent('uid=mmosley,ou=shadow,o=Tremolo'));
  await page.locator('#timeline[data-ready=true]').waitFor();
  await page.screenshot({ path: join(root, 'docs', 'console-user.png'), fullPage: false });
  process.stdout.write('wrote docs/console-queue.png and docs/console-user.png\n');
} finally {
  await browser.close();
  await serve.stop();
  rmSync(dir, { recursive: true, force: true });
}
