import { readBuiltJson } from '../../core/package-files.js';

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
  // A build without it (or a damaged one): every rule is parsed.
  const pairs = readBuiltJson(PREBUILT_RULES_FILE);
  try {
    return Array.isArray(pairs) ? new Map(pairs as Array<[string, string]>) : null;
  } catch {
    return null;
  }
}
