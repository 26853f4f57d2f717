import { readBuiltJson } from '../../core/package-files.js';

/** Where the build writes the shipped rules' parsed documents (under dist/). */
export const PREBUILT_RULES_FILE = 'rule-documents.json';

/** A shipped rule's text -> its value as JSON, and what validating that value gave (JSON; null when it is not kept). */
let prebuilt: Map<string, [value: string, validated: string | null]> | null | undefined;
/** Documents handed out from the prebuilt values -> what validating them gave, as JSON. */
const validatedOf = new WeakMap<object, string>();

/**
 * The shipped rules' YAML, parsed when the package is built (`npm run build` writes each
 * file's text, value and validated value: see prevalidated). A start that reads a shipped rule unchanged takes the value from
 * there instead of parsing YAML again (about a tenth of a short replay's start); any other
 * text (an edited rule, an overlay, a rule of another directory) is parsed as usual, so the
 * result is the same either way. Running from the sources there is no such file.
 */
export function prebuiltDocument(text: string): unknown {
  if (prebuilt === undefined) prebuilt = loadPrebuilt();
  const entry = prebuilt?.get(text);
  if (entry === undefined) return undefined;
  // A copy each time: callers may merge overlays into what they get (a merge is a new object).
  const doc = JSON.parse(entry[0]) as unknown;
  if (entry[1] !== null && typeof doc === 'object' && doc !== null) rememberValidated(doc, entry[1]);
  return doc;
}

/** `doc` validates to `json` (the build's `prevalidate`): parseRule takes it from there. */
export function rememberValidated(doc: object, json: string): void {
  validatedOf.set(doc, json);
}

/**
 * What validating `doc` gives (the rule's fields and its detector's parameters, defaults filled
 * in), as the build computed it with the same schemas, when `doc` is a shipped rule's value
 * as prebuiltDocument handed it out; undefined for any other document, which is validated as
 * usual. A start then builds no schema for its shipped rules (a tenth of a small replay's start).
 */
export function prevalidated(doc: object): { fields: unknown; params: unknown } | undefined {
  const json = validatedOf.get(doc);
  return json === undefined ? undefined : (JSON.parse(json) as { fields: unknown; params: unknown });
}

function loadPrebuilt(): Map<string, [string, string | null]> | null {
  // A build without it (or a damaged one): every rule is parsed.
  const entries = readBuiltJson(PREBUILT_RULES_FILE);
  if (!Array.isArray(entries)) return null;
  const out = new Map<string, [string, string | null]>();
  for (const e of entries as unknown[]) {
    if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'string') return null;
    out.set(e[0], [e[1], typeof e[2] === 'string' ? e[2] : null]);
  }
  return out;
}
