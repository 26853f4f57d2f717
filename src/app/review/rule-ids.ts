import type { Config } from '../config.js';
import type { ReviewStore } from '../../core/review-ports.js';
import { ruleFiles, ruleIdOf } from '../../components/detect/rule-files.js';
import { BREAKER_RULE } from '../../components/sinks/end-session/responder.js';
import { rulesDirOf } from '../rule-dirs.js';

// Apart from the rule table (rules.ts): naming the rules reads file names only, and the
// alert listings that check a `--rule` filter then load no detection.

/** Rule ids a `--rule` filter may name: the configured rules, the breaker's, and any in the store. */
export async function knownRuleIds(config: Config, store: ReviewStore): Promise<string[]> {
  const ids = new Set<string>([BREAKER_RULE]);
  try {
    for (const f of ruleFiles(rulesDirOf(config))) ids.add(ruleIdOf(f));
  } catch {
    // an unreadable rules directory is reported by the commands that load rules
  }
  for (const c of await store.alerts.ruleCounts([])) ids.add(c.rule);
  return [...ids].sort();
}
