/** Runs the work queue contract against the embedded SQL queue on SQLite. */
import { vi } from 'vitest';
import { sqliteTestBackend } from '../storage/backends.js';
import { workQueueContract } from './work-queue.contract.js';
import { QUEUE_TEST_TIMEOUTS, sqlSubject } from './work-queue-subjects.js';

vi.setConfig(QUEUE_TEST_TIMEOUTS);
workQueueContract(sqlSubject(sqliteTestBackend));
