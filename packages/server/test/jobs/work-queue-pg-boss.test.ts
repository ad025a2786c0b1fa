/** Runs the work queue contract against the pg-boss queue, when PostgreSQL is configured. */
import { describe, it, vi } from 'vitest';
import { TEST_POSTGRES_URL } from '../storage/backends.js';
import { workQueueContract } from './work-queue.contract.js';
import { QUEUE_TEST_TIMEOUTS, pgBossSubject } from './work-queue-subjects.js';

vi.setConfig(QUEUE_TEST_TIMEOUTS);
if (!TEST_POSTGRES_URL) {
  describe.skip('PgBossWorkQueue (skipped: set SLIPWAY_TEST_POSTGRES_URL to run)', () => {
    it('needs PostgreSQL', () => undefined);
  });
} else {
  workQueueContract(pgBossSubject(TEST_POSTGRES_URL));
}
