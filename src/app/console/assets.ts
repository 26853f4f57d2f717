import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { codeFile } from '../../core/package-files.js';

/**
 * The console's static files, all served by this process (an air-gapped cluster reaches
 * nothing else): its own stylesheet and page scripts, and uPlot from node_modules.
 */
// In src/ (tsx), and in dist/ where `npm run build` copies them.
const OWN = codeFile('app', 'console', 'assets');
const UPLOT = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');

const FILES: Record<string, [path: string, type: string]> = {
  'console.css': [join(OWN, 'console.css'), 'text/css; charset=utf-8'],
  'user.js': [join(OWN, 'user.js'), 'text/javascript; charset=utf-8'],
  'overview.js': [join(OWN, 'overview.js'), 'text/javascript; charset=utf-8'],
  'uplot.iife.min.js': [join(UPLOT, 'uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
  'uplot.min.css': [join(UPLOT, 'uPlot.min.css'), 'text/css; charset=utf-8'],
};

export interface Asset {
  body: Buffer;
  type: string;
}

/** Read once at start-up: a missing file is a broken installation and stops `serve` at once. */
export function loadAssets(): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const [name, [path, type]] of Object.entries(FILES)) out.set(name, { body: readFileSync(path), type });
  return out;
}
