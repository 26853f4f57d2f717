// One of npm test's processes: see test/helpers/shards.ts.
import { runShard } from '../helpers/shards.js';

runShard(import.meta.url);
