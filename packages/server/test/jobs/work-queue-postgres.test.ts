/** Runs the work queue contract against the embedded SQL queue on PostgreSQL, when configured. */
import { describe, it, vi } from 'vitest';
import { TEST_POSTGRES_URL, postgresTestBackend } from '../storage/backends.js';
import { workQueueContract } from './work-queue.contract.js';
import { QUEUE_TEST_TIMEOUTS, sqlSubject } from './work-queue-subjects.js';

vi.setConfig(QUEUE_TEST_TIMEOUTS);
if (!TEST_POSTGRES_URL) {
  describe.skip('SqlWorkQueue on postgres (skipped: set SLIPWAY_TEST_POSTGRES_URL to run)', () => {
    it('needs PostgreSQL', () => undefined);
  });
} else {
  workQueueContract(sqlSubject(postgresTestBackend(TEST_POSTGRES_URL)));
}
