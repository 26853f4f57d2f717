import type { DetectConfig } from '../components/detect/config.js';
import { MAX_TRACKED, Organisation } from '../components/history/organisation.js';
import type { HistoryRepository } from '../core/ports.js';

/** The organisation's places as the store knows them, for history to keep counting and detection to ask. */
export async function loadOrganisation(repo: HistoryRepository, detect: DetectConfig): Promise<Organisation> {
  const org = new Organisation(detect.organisation);
  if (await repo.hasUsers()) org.seed(await repo.loadOrganisation(MAX_TRACKED));
  return org;
}
