import { writeBenign } from './benign.js';
import type { CorpusOptions, Written } from './types.js';

/** Bumped whenever the bytes this generator writes for a seed change (cached corpora are then made again). */
export const ORGANISATION_VERSION = 1;

/** People in the directory, and how many of them are at work at any moment. */
export const ORGANISATION_PEOPLE = 50_000;
export const ORGANISATION_AT_WORK = 10_000;

/**
 * A large organisation's everyday traffic: the benign corpus's lines and habits, but 50,000
 * people in the directory and 10,000 of them at work at once, so that about 20,000 distinct
 * people pass through a million lines, each seen for a while and then gone. Benign has a few
 * dozen people at once (everything stays in memory) and many-users sees each DN twice; this
 * is the shape in between that a real organisation has: more people active at once than a
 * cache of the last few thousand would hold, returning often enough that their history must
 * stay close at hand.
 */
export function writeOrganisation(path: string, opts: CorpusOptions): Written {
  return writeBenign(path, { ...opts, users: opts.users ?? ORGANISATION_PEOPLE, active: opts.active ?? ORGANISATION_AT_WORK });
}
