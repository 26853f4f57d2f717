import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_NETWORK_BITS } from '../../src/components/enrich/address-info.js';
import type { LogEvent } from '../../src/core/log-event.js';
import type { CommitScope } from '../../src/pipeline/commit-policy.js';
import { Ingest, type EventProcessor } from '../../src/pipeline/ingest.js';
import { IngestWorker } from '../../src/pipeline/worker-client.js';

// A store that goes away is met by whatever reads or writes it first: the commit in progress,
// or the preparation of a batch that arrived meanwhile (it loads the batch's users). Both may
// meet the same outage; the loop is held once and the fault reported once (a report starts a
// retry loop), and once the store is back every line is processed and committed.

const settings = { timeZone: 'UTC', maxLineBytes: 65_536, networkBits: DEFAULT_NETWORK_BITS };
const OUTAGE = 'store unreachable (test outage)';

function lines(from: number, n: number): Buffer {
  const out: string[] = [];
  for (let i = from; i < from + n; i++) {
    const t = new Date(Date.UTC(2026, 2, 2, 0, 0, i)).toISOString().replace('T', ' ').replace('Z', '').replace('.', ',');
    out.push(`[${t}][XNIO-1 task-1] INFO  AccessLog - [AzSuccess] - k8s - https://k8sou.example.com/k8s - uid=user${i % 7},ou=users,o=Tremolo - 20 / oauth2k8s [10.0.0.${i % 200}] - [s${i % 5}]`);
  }
  return Buffer.from(out.join('\n') + '\n');
}

/** Resolves the returned promise's `resolve` from outside. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

test('an outage met by both a commit and a batch being prepared holds the loop once, is reported once, and loses nothing', async () => {
  const worker = new IngestWorker(settings);
  let storeDown = false;
  let processed = 0;
  let sincecommit = 0;
  const prepareFailed = deferred();
  const processor: EventProcessor = {
    prepare() {
      if (storeDown) {
        prepareFailed.resolve();
        throw new Error(OUTAGE);
      }
    },
    event(_e: LogEvent) {
      processed++;
      sincecommit++;
    },
    get pending() {
      return sincecommit;
    },
    backlog: 0,
    newUsers: 0,
    heldAlerts: 0,
    heldRows: 0,
  };
  const firstCommitStarted = deferred();
  const firstCommitOutcome = deferred();
  let commits = 0;
  const committer = {
    async commit(_scope: CommitScope): Promise<void> {
      commits++;
      if (commits === 1) {
        firstCommitStarted.resolve();
        await firstCommitOutcome.promise;
      }
      if (storeDown) throw new Error(OUTAGE);
      sincecommit = 0;
    },
  };
  const reports: string[] = [];
  const ingest = new Ingest({
    worker,
    processor,
    committer,
    mergeWindowMs: 0,
    commitEveryLines: 1,
    commitIntervalMs: null,
    storageFault: {
      classify: (err) => (err instanceof Error && err.message === OUTAGE ? err : null),
      onFault: (fault) => void reports.push(fault.message),
    },
  });
  try {
    const feed = ingest.open({ origin: 'test.log', identity: { kind: 'none' }, startOffset: 0, startLineNo: 0, live: true });
    feed.push(lines(0, 50));
    await firstCommitStarted.promise;

    // The store goes away while the first commit is being written; a batch arrives meanwhile.
    storeDown = true;
    feed.push(lines(50, 50));
    await prepareFailed.promise;
    firstCommitOutcome.resolve();
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(reports, [OUTAGE], 'one outage, one report');

    // Back: the held work is committed, the batch is prepared again and processed.
    storeDown = false;
    await ingest.resumeAfterFault();
    feed.end();
    await ingest.stop();
    assert.equal(processed, 100, 'every line processed once');
    assert.equal(sincecommit, 0, 'and committed');
    assert.deepEqual(reports, [OUTAGE]);
  } finally {
    await worker.terminate();
  }
});
