/**
 * Group commit for SQLite: write calls that arrive in the same event-loop turn share one
 * transaction (one WAL fsync), each in its own SAVEPOINT so a failing call rolls back only its own
 * work. Every caller's promise settles only after the COMMIT, so "resolved" still means "durable".
 */
import type { Kysely } from 'kysely';

/** One caller's work: runs on the connection while the shared transaction is open. */
export type GroupWork<DB, T> = (conn: Kysely<DB>) => Promise<T>;

interface Pending<DB> {
  work: GroupWork<DB, unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const BEGIN = 'begin immediate';
const COMMIT = 'commit';
const ROLLBACK = 'rollback';
const SAVEPOINT = 'savepoint group_work';
const RELEASE = 'release group_work';
const ROLLBACK_TO = 'rollback to group_work';

/**
 * Runs one transaction-control statement synchronously on the native connection. Called only while
 * the committer holds Kysely's connection, so it cannot interleave with other work; going around
 * Kysely's async driver makes small writes measurably cheaper (bench/README.md has the A/B).
 */
export type ControlStatement = (sql: string) => void;

/** Coalesces concurrent writes on a single-connection Kysely instance into shared transactions. */
export class GroupCommitter<DB> {
  private pending: Pending<DB>[] = [];
  private flushScheduled = false;
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly control: ControlStatement,
  ) {}

  /** Runs `work` inside the next group transaction; settles after that transaction commits. */
  submit<T>(work: GroupWork<DB, T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('The store is closed.'));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.scheduleFlush();
    });
  }

  /** Stops accepting work and waits until everything submitted has settled. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushScheduled || this.flushing) await (this.flushing ?? new Promise(setImmediate));
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate, not a microtask: Node drains microtasks after every I/O callback, so a
    // microtask flush would commit after the first request of a burst; setImmediate runs after the
    // whole poll phase, once every request that arrived together has submitted its work.
    setImmediate(() => {
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
      });
    });
  }

  private async flush(): Promise<void> {
    let batch: Pending<DB>[] = [];
    try {
      await this.db.connection().execute(async (conn) => {
        // Taken only once the connection is ours: work submitted while we waited joins this batch.
        this.flushScheduled = false;
        batch = this.pending;
        this.pending = [];
        if (batch.length > 0) await this.commitBatch(conn, batch);
      });
    } catch (error) {
      this.flushScheduled = false;
      for (const item of batch) item.reject(error);
    }
    if (this.pending.length > 0) this.scheduleFlush();
  }

  private async commitBatch(conn: Kysely<DB>, batch: Pending<DB>[]): Promise<void> {
    this.control(BEGIN);
    const outcomes: Outcome[] = [];
    try {
      for (const item of batch) outcomes.push(await this.runIsolated(conn, item.work));
      this.control(COMMIT);
    } catch (error) {
      try {
        this.control(ROLLBACK);
      } catch {
        // The COMMIT's own failure may already have ended the transaction; the original error matters.
      }
      throw error;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) item.resolve(outcome.value);
      else item.reject(outcome?.error);
    });
  }

  /** Runs one caller's work inside a savepoint, so its failure undoes only its own writes. */
  private async runIsolated(conn: Kysely<DB>, work: GroupWork<DB, unknown>): Promise<Outcome> {
    this.control(SAVEPOINT);
    try {
      const value = await work(conn);
      this.control(RELEASE);
      return { ok: true, value };
    } catch (error) {
      this.control(ROLLBACK_TO);
      this.control(RELEASE);
      return { ok: false, error };
    }
  }
}
