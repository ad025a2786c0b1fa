/**
 * The default prediction sink: an embedded DuckDB database file with one `predictions` table.
 * Each `write` appends its batch through DuckDB's appender inside one explicit transaction, so a
 * batch is stored whole or not at all.
 *
 * Durability rule: a batch whose `write()` resolved is durable. DuckDB writes every committed
 * transaction to its write-ahead log (`<file>.wal`) and syncs the log to disk before `COMMIT`
 * returns; after a crash the next open replays the log. DuckDB checkpoints the log into the main
 * file on its own once the log outgrows `checkpoint_threshold`, and `close()` checkpoints so a
 * cleanly closed file needs no replay. No per-batch `CHECKPOINT` is run: it would rewrite table
 * blocks on every flush without making a committed batch any more durable.
 */
import { DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import type { PredictionRecord } from '@slipway/contracts';
import type { PredictionSink } from '../../serving/prediction-sink.js';

/** The table every sink writes to; created when the file does not have it. */
export const PREDICTIONS_TABLE = 'predictions';

/** Column order is the appender's order; `ts` holds millisecond-precision instants (UTC). */
const CREATE_TABLE_SQL = `CREATE TABLE IF NOT EXISTS ${PREDICTIONS_TABLE} (
  prediction_id VARCHAR,
  endpoint VARCHAR,
  model_name VARCHAR,
  model_version VARCHAR,
  arm VARCHAR,
  protocol VARCHAR,
  ts TIMESTAMP,
  latency_ms DOUBLE,
  request_id VARCHAR,
  input JSON,
  output JSON,
  shadow_of VARCHAR
)`;

const OPEN_OPTIONS: Record<string, string> = {
  // The sink needs no extension beyond the built-in JSON type; never fetch one at run time.
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
};

/** Stores predictions in an embedded DuckDB file; open one with `DuckDbPredictionSink.open`. */
export class DuckDbPredictionSink implements PredictionSink {
  /** Serialises writes: one connection runs one explicit transaction at a time. */
  private tail: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  /** Opens (creating if missing) the database at `path` and its `predictions` table; `:memory:` for tests. */
  static async open(path: string): Promise<DuckDbPredictionSink> {
    const instance = await DuckDBInstance.create(path, OPEN_OPTIONS);
    let connection: DuckDBConnection | undefined;
    try {
      connection = await instance.connect();
      await connection.run(CREATE_TABLE_SQL);
      return new DuckDbPredictionSink(instance, connection);
    } catch (error) {
      connection?.closeSync();
      instance.closeSync();
      throw error;
    }
  }

  /**
   * Opens the sink the platform uses: this sink run in a worker thread (`WorkerPredictionSink`),
   * off the serving main thread. Where the compiled worker entry does not exist (the platform
   * run from TypeScript source, as in tests: Node 20 cannot start a .ts worker), it falls back to
   * this sink on the calling thread; the two store the same rows under the same durability rule.
   */
  static async openInWorker(path: string): Promise<PredictionSink> {
    const { WorkerPredictionSink } = await import('./worker-prediction-sink.js');
    if (WorkerPredictionSink.defaultWorkerAvailable()) return WorkerPredictionSink.open(path);
    return DuckDbPredictionSink.open(path);
  }

  /** Appends `records` in one transaction; resolves once committed (durable), rejects with nothing stored. */
  write(records: readonly PredictionRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The prediction sink is closed'));
    const run = this.tail.then(() => this.append(records));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Waits for writes under way, checkpoints the log into the file and releases the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    try {
      await this.connection.run('CHECKPOINT');
    } finally {
      this.connection.closeSync();
      this.instance.closeSync();
    }
  }

  private async append(records: readonly PredictionRecord[]): Promise<void> {
    if (records.length === 0) return;
    // Serialise before touching the database, so a record that cannot be stored fails the batch cheaply.
    const rows = records.map(toRow);
    await this.connection.run('BEGIN TRANSACTION');
    try {
      const appender = await this.connection.createAppender(PREDICTIONS_TABLE);
      try {
        for (const row of rows) appendRow(appender, row);
        // Moves the appended rows into the open transaction; COMMIT makes them durable.
        appender.flushSync();
      } catch (error) {
        appender.clear();
        throw error;
      } finally {
        appender.closeSync();
      }
      await this.connection.run('COMMIT');
    } catch (error) {
      await this.connection.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
}

/** One record as the appender takes it, checked and serialised. */
interface Row {
  record: PredictionRecord;
  micros: bigint;
  input: string;
  output: string;
}

function toRow(record: PredictionRecord): Row {
  if (!Number.isFinite(record.timestamp)) {
    throw new Error(`Prediction '${record.predictionId}' has a non-finite timestamp`);
  }
  return {
    record,
    micros: BigInt(Math.trunc(record.timestamp)) * 1000n,
    input: toJson(record.input, record.predictionId, 'input'),
    output: toJson(record.output, record.predictionId, 'output'),
  };
}

/** JSON text of a payload; bigints become decimal strings rather than failing the whole batch. */
function toJson(value: Record<string, unknown>, predictionId: string, what: string): string {
  let text: string | undefined;
  try {
    // Without a replacer first: a replacer makes JSON.stringify call back per key (about 1.7x slower).
    text = JSON.stringify(value) as string | undefined;
  } catch (error) {
    if (!(error instanceof TypeError) || !String(error.message).includes('BigInt')) throw error;
    text = JSON.stringify(value, (_key, item: unknown) =>
      typeof item === 'bigint' ? item.toString() : item,
    ) as string | undefined;
  }
  if (text === undefined) throw new Error(`Prediction '${predictionId}' has no JSON ${what}`);
  return text;
}

function appendRow(appender: DuckDBAppender, { record, micros, input, output }: Row): void {
  appender.appendVarchar(record.predictionId);
  appender.appendVarchar(record.endpoint);
  appender.appendVarchar(record.modelName);
  appender.appendVarchar(record.modelVersion);
  appender.appendVarchar(record.arm);
  appender.appendVarchar(record.protocol);
  appender.appendTimestamp(new DuckDBTimestampValue(micros));
  appender.appendDouble(record.latencyMs);
  appender.appendVarchar(record.requestId);
  appender.appendVarchar(input);
  appender.appendVarchar(output);
  if (record.shadowOf === undefined) appender.appendNull();
  else appender.appendVarchar(record.shadowOf);
  appender.endRow();
}
