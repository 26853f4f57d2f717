import { readFileSync } from 'node:fs';
import { codeFile, FROM_SOURCES } from '../../core/package-files.js';

/** Where the build writes the shipped rules' parsed documents (under dist/). */
export const PREBUILT_RULES_FILE = 'rule-documents.json';

let prebuilt: Map<string, string> | null | undefined;

/**
 * The shipped rules' YAML, parsed when the package is built (`npm run build` writes each
 * file's text and value). A start that reads a shipped rule unchanged takes the value from
 * there instead of parsing YAML again (about a tenth of a short replay's start); any other
 * text (an edited rule, an overlay, a rule of another directory) is parsed as usual, so the
 * result is the same either way. Running from the sources there is no such file.
 */
export function prebuiltDocument(text: string): unknown {
  if (prebuilt === undefined) prebuilt = loadPrebuilt();
  const json = prebuilt?.get(text);
  // A copy each time: callers may merge overlays into what they get.
  return json === undefined ? undefined : JSON.parse(json);
}

function loadPrebuilt(): Map<string, string> | null {
  if (FROM_SOURCES) return null;
  try {
    return new Map(JSON.parse(readFileSync(codeFile(PREBUILT_RULES_FILE), 'utf8')) as Array<[string, string]>);
  } catch {
    return null; // a build without it (or damaged): every rule is parsed
  }
}
