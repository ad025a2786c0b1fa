/**
 * The default prediction store: an embedded DuckDB database file with a `predictions` table and a
 * `labels` table. Each `write` appends its batch through DuckDB's appender inside one explicit
 * transaction, so a batch is stored whole or not at all; `writeLabels` likewise. Reads join the
 * labels to the predictions in SQL by the port's join rule (see predictions/prediction-store.ts).
 *
 * Durability rule: a batch whose `write()` resolved is durable. DuckDB writes every committed
 * transaction to its write-ahead log (`<file>.wal`) and syncs the log to disk before `COMMIT`
 * returns; after a crash the next open replays the log. DuckDB checkpoints the log into the main
 * file on its own once the log outgrows `checkpoint_threshold`, and `close()` checkpoints so a
 * cleanly closed file needs no replay. No per-batch `CHECKPOINT` is run: it would rewrite table
 * blocks on every flush without making a committed batch any more durable.
 *
 * Every operation runs on one connection, one at a time in call order, so a read sees every write
 * called before it. Every user value reaches SQL as a bound parameter.
 */
import { DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import type { DuckDBAppender, DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { DISTRIBUTION_TOP, invalidArgument } from '@slipway/contracts';
import type {
  AggregateBucket,
  AggregateRequest,
  DistributionEntry,
  JoinedLabel,
  LabelRecord,
  LabelValue,
  LabelWriteResult,
  LoggedPrediction,
  PredictionFilter,
  PredictionPage,
  PredictionPageRequest,
  PredictionError,
  PredictionRecord,
  TrafficArm,
  UnmatchedLabelPage,
} from '@slipway/contracts';
import type {
  ExportRequest,
  PredictionPartImport,
  PredictionStore,
  UnmatchedLabelRequest,
} from '../../predictions/prediction-store.js';

/** The table every store writes predictions to; created when the file does not have it. */
export const PREDICTIONS_TABLE = 'predictions';
/** The table of labels; created when the file does not have it. */
export const LABELS_TABLE = 'labels';
/** Per-connection staging table of one label write (so its matches are counted by join). */
const INCOMING_LABELS_TABLE = 'incoming_labels';

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

/** Columns added after the first release; files written before lack them until opened. */
const ADDED_COLUMNS_SQL = [
  `ALTER TABLE ${PREDICTIONS_TABLE} ADD COLUMN IF NOT EXISTS entity_id VARCHAR`,
  `ALTER TABLE ${PREDICTIONS_TABLE} ADD COLUMN IF NOT EXISTS tags JSON`,
  `ALTER TABLE ${PREDICTIONS_TABLE} ADD COLUMN IF NOT EXISTS api_version VARCHAR`,
  `ALTER TABLE ${PREDICTIONS_TABLE} ADD COLUMN IF NOT EXISTS job_id VARCHAR`,
  // `{code, message}` on a failed request's record, NULL on every served prediction.
  `ALTER TABLE ${PREDICTIONS_TABLE} ADD COLUMN IF NOT EXISTS error JSON`,
];

const LABEL_COLUMNS = `(
  label_id VARCHAR,
  endpoint VARCHAR,
  prediction_id VARCHAR,
  entity_id VARCHAR,
  window_from TIMESTAMP,
  window_to TIMESTAMP,
  value JSON,
  received_at TIMESTAMP,
  source VARCHAR
)`;

const CREATE_LABELS_SQL = `CREATE TABLE IF NOT EXISTS ${LABELS_TABLE} ${LABEL_COLUMNS}`;
const CREATE_INCOMING_SQL = `CREATE TEMP TABLE IF NOT EXISTS ${INCOMING_LABELS_TABLE} ${LABEL_COLUMNS}`;

const OPEN_OPTIONS: Record<string, string> = {
  // The store needs no extension beyond the built-in JSON type; never fetch one at run time.
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
  // DuckDB's default (16 MB of WAL) checkpointed every few batches, and the checkpoint cost grew
  // with the table: it made COMMIT most of a write (bench/README.md). Durability is the WAL's fsync
  // at COMMIT either way; a larger WAL only means a longer replay after a crash.
  checkpoint_threshold: '256MB',
};

/**
 * DuckDB's default is 80 % of the machine's memory, and it kept that much of the log's pages
 * cached: a batch job logging 10M predictions peaked at 1.9 GB. Beyond this limit it evicts pages
 * (they are on disk already) and spills large aggregates to `<file>.tmp`.
 */
export const DEFAULT_PREDICTION_LOG_MEMORY = '256MB';

/** Options of `DuckDbPredictionStore.open`. */
export interface DuckDbPredictionStoreOptions {
  /** DuckDB's memory limit for the log, e.g. `128MB`; `DEFAULT_PREDICTION_LOG_MEMORY` when absent. */
  memoryLimit?: string;
}

/** Most rows one page holds. */
const MAX_PAGE = 1000;

/** `json_type` names of JSON numbers. */
const NUMERIC_JSON = `('UBIGINT', 'BIGINT', 'DOUBLE', 'HUGEINT')`;

/**
 * A label `l` matches a prediction `p` when one of these holds: it names the prediction's id, or
 * (a shadow record) the id of the live prediction it shadows, or the prediction's entity with the
 * prediction's timestamp in its window. Kept apart (not OR-ed) so each is an equi-join on keys.
 */
const MATCH_BY_ID = `l.endpoint = p.endpoint AND l.prediction_id = p.prediction_id`;
const MATCH_BY_SHADOWED_ID = `l.endpoint = p.endpoint AND l.prediction_id = p.shadow_of`;
const MATCH_BY_ENTITY = `l.endpoint = p.endpoint AND l.entity_id = p.entity_id
    AND (l.window_from IS NULL OR p.ts >= l.window_from) AND (l.window_to IS NULL OR p.ts < l.window_to)`;

/**
 * CTEs `matches` and `winners` over a CTE `base` of predictions (with `rid`, the row id): every
 * label matching each prediction (by its id, by the live id it shadows, or by entity within the
 * window; a label matched twice is the same candidate twice),
 * then the one received last (ties: the greater label id) per prediction.
 */
const WINNERS_CTE = `matches AS (
  SELECT p.rid, l.label_id, l.value, l.received_at FROM base p JOIN ${LABELS_TABLE} l ON ${MATCH_BY_ID}
  UNION ALL
  SELECT p.rid, l.label_id, l.value, l.received_at FROM base p JOIN ${LABELS_TABLE} l ON ${MATCH_BY_SHADOWED_ID}
    WHERE p.shadow_of IS NOT NULL
  UNION ALL
  SELECT p.rid, l.label_id, l.value, l.received_at FROM base p JOIN ${LABELS_TABLE} l ON ${MATCH_BY_ENTITY}
    WHERE p.entity_id IS NOT NULL AND l.entity_id IS NOT NULL
),
winners AS (
  SELECT * FROM matches
  QUALIFY row_number() OVER (PARTITION BY rid ORDER BY received_at DESC, label_id DESC) = 1
)`;

/** The columns of a logged prediction as `rowToPrediction` reads them, from `b` joined with winner `w`. */
const PREDICTION_COLUMNS = `b.prediction_id, b.endpoint, b.model_name, b.model_version, b.arm, b.protocol,
  epoch_ms(b.ts) AS ts_ms, b.latency_ms, b.request_id, b.input, b.output, b.shadow_of, b.entity_id,
  b.tags, b.api_version, b.job_id, b.error, w.label_id AS l_id, w.value AS l_value,
  epoch_ms(w.received_at) AS l_received_ms`;

/** `EXPORT_COLUMNS` from `b` joined with winner `w`; JSON columns as text, so every format reads the same. */
const EXPORT_SELECT = `b.prediction_id, b.endpoint, b.model_name, b.model_version, b.arm, b.protocol,
  b.ts AS timestamp, b.latency_ms, b.request_id, b.entity_id, b.shadow_of, b.api_version, b.job_id,
  b.tags::VARCHAR AS tags, b.input::VARCHAR AS input, b.output::VARCHAR AS output,
  b.error::VARCHAR AS error, w.value::VARCHAR AS label, w.received_at AS label_received_at,
  epoch_ms(w.received_at) - epoch_ms(b.ts) AS label_delay_ms`;

/** DuckDB's COPY options per export format. */
const EXPORT_FORMAT_OPTIONS: Record<string, string> = {
  parquet: '(FORMAT parquet)',
  csv: '(FORMAT csv, HEADER true)',
  jsonl: '(FORMAT json)',
};

const LABEL_SELECT = `label_id, endpoint, prediction_id, entity_id, epoch_ms(window_from) AS from_ms,
  epoch_ms(window_to) AS to_ms, value, epoch_ms(received_at) AS received_ms, source`;

type Params = Record<string, DuckDBValue>;
type Row = Record<string, unknown>;

/** Stores predictions and labels in an embedded DuckDB file; open one with `DuckDbPredictionStore.open`. */
export class DuckDbPredictionStore implements PredictionStore {
  /** Serialises every operation: one connection runs one statement (or transaction) at a time. */
  private tail: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  /** Opens (creating if missing) the database at `path` and its tables; `:memory:` for tests. */
  static async open(
    path: string,
    options: DuckDbPredictionStoreOptions = {},
  ): Promise<DuckDbPredictionStore> {
    const instance = await DuckDBInstance.create(path, {
      ...OPEN_OPTIONS,
      memory_limit: options.memoryLimit ?? DEFAULT_PREDICTION_LOG_MEMORY,
    });
    let connection: DuckDBConnection | undefined;
    try {
      connection = await instance.connect();
      await connection.run(CREATE_TABLE_SQL);
      for (const sql of ADDED_COLUMNS_SQL) await connection.run(sql);
      await connection.run(CREATE_LABELS_SQL);
      await connection.run(CREATE_INCOMING_SQL);
      return new DuckDbPredictionStore(instance, connection);
    } catch (error) {
      connection?.closeSync();
      instance.closeSync();
      throw error;
    }
  }

  /**
   * Opens the store the platform uses: this store run in a worker thread (`WorkerPredictionStore`),
   * off the serving main thread. Where the compiled worker entry does not exist (the platform
   * run from TypeScript source, as in tests: Node 20 cannot start a .ts worker), it falls back to
   * this store on the calling thread; the two store the same rows under the same durability rule.
   */
  static async openInWorker(
    path: string,
    options: DuckDbPredictionStoreOptions = {},
  ): Promise<PredictionStore> {
    const { WorkerPredictionStore } = await import('./worker-prediction-store.js');
    if (WorkerPredictionStore.defaultWorkerAvailable()) return WorkerPredictionStore.open(path, options);
    return DuckDbPredictionStore.open(path, options);
  }

  /** Appends `records` in one transaction; resolves once committed (durable), rejects with nothing stored. */
  write(records: readonly PredictionRecord[]): Promise<void> {
    return this.serialise(() => this.append(records));
  }

  writeLabels(labels: readonly LabelRecord[]): Promise<LabelWriteResult> {
    return this.serialise(() => this.appendLabels(labels));
  }

  /** Inserts a part file's rows in one transaction, in SQL (no value crosses into JavaScript). */
  importPart(part: PredictionPartImport): Promise<void> {
    return this.serialise(() => this.insertPart(part));
  }

  queryPredictions(request: PredictionPageRequest): Promise<PredictionPage> {
    return this.serialise(() => this.selectPredictions(request));
  }

  unmatchedLabels(request: UnmatchedLabelRequest): Promise<UnmatchedLabelPage> {
    return this.serialise(() => this.selectUnmatched(request));
  }

  aggregate(request: AggregateRequest): Promise<AggregateBucket[]> {
    return this.serialise(() => this.selectAggregate(request));
  }

  deleteBefore(before: number): Promise<number> {
    return this.serialise(() => this.deleteOlder(before));
  }

  exportWindow(request: ExportRequest): Promise<{ rows: number }> {
    return this.serialise(() => this.copyOut(request));
  }

  /** Waits for operations under way, checkpoints the log into the file and releases the database. */
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

  private serialise<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('The prediction store is closed'));
    const run = this.tail.then(operation);
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async rows(sql: string, params: Params): Promise<Row[]> {
    const reader = await this.connection.runAndReadAll(sql, params);
    return reader.getRowObjectsJS() as Row[];
  }

  /** Runs `body` in one explicit transaction, rolled back when it throws. */
  private async transaction<T>(body: () => Promise<T>): Promise<T> {
    await this.connection.run('BEGIN TRANSACTION');
    try {
      const result = await body();
      await this.connection.run('COMMIT');
      return result;
    } catch (error) {
      await this.connection.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  private async appendAll<T>(
    table: string,
    rows: readonly T[],
    add: (a: DuckDBAppender, row: T) => void,
    schema?: string,
    catalog?: string,
  ): Promise<void> {
    const appender = await this.connection.createAppender(table, schema, catalog);
    try {
      for (const row of rows) add(appender, row);
      // Moves the appended rows into the open transaction; COMMIT makes them durable.
      appender.flushSync();
    } catch (error) {
      appender.clear();
      throw error;
    } finally {
      appender.closeSync();
    }
  }

  private async append(records: readonly PredictionRecord[]): Promise<void> {
    if (records.length === 0) return;
    // Serialise before touching the database, so a record that cannot be stored fails the batch cheaply.
    const rows = records.map(toRow);
    await this.transaction(() => this.appendAll(PREDICTIONS_TABLE, rows, appendRow));
  }

  private async insertPart(part: PredictionPartImport): Promise<void> {
    const { id, input, output, timestamp, latency } = part.columns;
    const column = (name: string): string => `"${name.replaceAll('"', '""')}"`;
    await this.transaction(async () => {
      const [row] = await this.rows(
        `INSERT INTO ${PREDICTIONS_TABLE} (prediction_id, endpoint, model_name, model_version, arm,
           protocol, ts, latency_ms, request_id, input, output, job_id)
         SELECT ${column(id)}, $endpoint, $model_name, $model_version, $arm, $protocol,
           ${column(timestamp)}, ${column(latency)}, $request_id, ${column(input)}, ${column(output)}, $job_id
         FROM read_parquet($file)`,
        {
          file: part.file,
          endpoint: part.endpoint,
          model_name: part.modelName,
          model_version: part.modelVersion,
          arm: part.arm,
          protocol: part.protocol,
          request_id: part.requestId,
          job_id: part.jobId,
        },
      );
      const inserted = Number(Object.values(row ?? {})[0] ?? -1);
      if (inserted !== part.rows) {
        throw new Error(`Part '${part.file}' holds ${inserted} predictions, expected ${part.rows}`);
      }
    });
  }

  private async appendLabels(labels: readonly LabelRecord[]): Promise<LabelWriteResult> {
    const rows = labels.map(toLabelRow);
    if (rows.length === 0) return { stored: 0, matched: 0, unmatched: 0 };
    const matched = await this.transaction(async () => {
      await this.connection.run(`DELETE FROM ${INCOMING_LABELS_TABLE}`);
      await this.appendAll(INCOMING_LABELS_TABLE, rows, appendLabelRow, 'main', 'temp');
      await this.connection.run(`INSERT INTO ${LABELS_TABLE} SELECT * FROM ${INCOMING_LABELS_TABLE}`);
      const [row] = await this.rows(
        `SELECT count(*) AS n FROM ${INCOMING_LABELS_TABLE} l
         WHERE EXISTS (SELECT 1 FROM ${PREDICTIONS_TABLE} p WHERE ${MATCH_BY_ID})
            OR EXISTS (SELECT 1 FROM ${PREDICTIONS_TABLE} p WHERE ${MATCH_BY_SHADOWED_ID})
            OR EXISTS (SELECT 1 FROM ${PREDICTIONS_TABLE} p WHERE ${MATCH_BY_ENTITY})`,
        {},
      );
      await this.connection.run(`DELETE FROM ${INCOMING_LABELS_TABLE}`);
      return Number(row?.n ?? 0);
    });
    return { stored: rows.length, matched, unmatched: rows.length - matched };
  }

  private async selectPredictions(request: PredictionPageRequest): Promise<PredictionPage> {
    const limit = checkLimit(request.limit);
    const params: Params = { limit: limit + 1 };
    const where = filterSql(request, params);
    if (request.cursor !== undefined) {
      const [ts, id] = decodeCursor(request.cursor);
      params.cursor_ts = timestamp(ts);
      params.cursor_id = id;
      where.push('(p.ts < $cursor_ts OR (p.ts = $cursor_ts AND p.prediction_id < $cursor_id))');
    }
    const order = 'ORDER BY b.ts DESC, b.prediction_id DESC';
    const labelled = request.labelled;
    // Without a label filter the page is cut before the join, so only its rows are joined.
    const sql = `WITH base AS (
        SELECT p.rowid AS rid, p.* FROM ${PREDICTIONS_TABLE} p WHERE ${where.join(' AND ')}
        ${labelled === undefined ? 'ORDER BY p.ts DESC, p.prediction_id DESC LIMIT $limit' : ''}
      ), ${WINNERS_CTE}
      SELECT ${PREDICTION_COLUMNS} FROM base b LEFT JOIN winners w ON w.rid = b.rid
      ${labelled === undefined ? '' : labelled ? 'WHERE w.rid IS NOT NULL' : 'WHERE w.rid IS NULL'}
      ${order} LIMIT $limit`;
    const rows = await this.rows(sql, params);
    const predictions = rows.slice(0, limit).map(rowToPrediction);
    const last = predictions[predictions.length - 1];
    return rows.length > limit && last !== undefined
      ? { predictions, nextCursor: encodeCursor(last.timestamp, last.predictionId) }
      : { predictions };
  }

  private async selectUnmatched(request: UnmatchedLabelRequest): Promise<UnmatchedLabelPage> {
    checkString(request.endpoint, 'endpoint');
    const limit = checkLimit(request.limit);
    const unmatched = `SELECT * FROM ${LABELS_TABLE} l WHERE l.endpoint = $endpoint
      AND NOT EXISTS (SELECT 1 FROM ${PREDICTIONS_TABLE} p WHERE ${MATCH_BY_ID})
      AND NOT EXISTS (SELECT 1 FROM ${PREDICTIONS_TABLE} p WHERE ${MATCH_BY_SHADOWED_ID})
      AND NOT EXISTS (SELECT 1 FROM ${PREDICTIONS_TABLE} p WHERE ${MATCH_BY_ENTITY})`;
    const params: Params = { endpoint: request.endpoint, limit: limit + 1 };
    let after = '';
    if (request.cursor !== undefined) {
      const [ts, id] = decodeCursor(request.cursor);
      params.cursor_ts = timestamp(ts);
      params.cursor_id = id;
      after = 'WHERE received_at < $cursor_ts OR (received_at = $cursor_ts AND label_id < $cursor_id)';
    }
    const rows = await this.rows(
      `WITH u AS (${unmatched}) SELECT ${LABEL_SELECT} FROM u ${after}
       ORDER BY received_at DESC, label_id DESC LIMIT $limit`,
      params,
    );
    const [count] = await this.rows(`WITH u AS (${unmatched}) SELECT count(*) AS n FROM u`, {
      endpoint: request.endpoint,
    });
    const labels = rows.slice(0, limit).map(rowToLabel);
    const total = Number(count?.n ?? 0);
    const last = labels[labels.length - 1];
    return rows.length > limit && last !== undefined
      ? { labels, total, nextCursor: encodeCursor(last.receivedAt, last.labelId) }
      : { labels, total };
  }

  private async selectAggregate(request: AggregateRequest): Promise<AggregateBucket[]> {
    checkFinite(request.from, 'from');
    checkFinite(request.to, 'to');
    if (!Number.isFinite(request.bucketMs) || request.bucketMs <= 0) {
      throw invalidArgument('bucketMs', 'bucketMs must be a positive number of milliseconds');
    }
    const groupBy = request.groupBy ?? [];
    groupBy.forEach((key, index) => {
      if (key !== 'modelVersion' && key !== 'arm') {
        throw invalidArgument(`groupBy[${index}]`, "groupBy entries must be 'modelVersion' or 'arm'");
      }
    });
    const byVersion = groupBy.includes('modelVersion');
    const byArm = groupBy.includes('arm');
    const params: Params = { bucket_ms: request.bucketMs };
    const where = filterSql(request, params);
    const field = request.predictionField;
    if (field !== undefined) {
      checkString(field, 'predictionField');
      params.field_path = jsonPointer(field);
    }
    // Failed requests are never joined to labels here: they count as unlabelled.
    const servedCut = request.status !== 'error' ? '' : 'AND false';
    const failedCut = request.status !== 'ok' && request.labelled !== true ? '' : 'AND false';
    const labelledWhere =
      request.labelled === undefined
        ? ''
        : request.labelled
          ? 'WHERE w.rid IS NOT NULL'
          : 'WHERE w.rid IS NULL';
    const keys = ['bucket', ...(byVersion ? ['model_version'] : []), ...(byArm ? ['arm'] : [])];
    const keyList = keys.join(', ');
    const bucketOf = (alias: string): string =>
      `floor(epoch_ms(${alias}.ts) / $bucket_ms) * $bucket_ms AS bucket`;
    /** The group keys computed from the rows of `alias` (a prediction table or `base`). */
    const keysOf = (alias: string): string =>
      [bucketOf(alias), ...keys.slice(1).map((key) => `${alias}.${key}`)].join(', ');
    const fieldColumns =
      field === undefined
        ? ''
        : `, b.fv, b.ft, coalesce(b.ft IN ${NUMERIC_JSON}, false) AS fnum,
             CASE WHEN b.ft IN ${NUMERIC_JSON} THEN try_cast(b.fv AS DOUBLE) END AS fd,
             coalesce(json_type(w.value) IN ${NUMERIC_JSON}, false) AS lnum`;
    // Filters do not stop a cast from being evaluated: every cast of a JSON value is a try_cast.
    // `fd` is the field as a number, NULL unless it is a JSON number (a string "1.5" is not), cast
    // once per row; the aggregates over it skip the NULLs without a filter.
    const fieldAggregates =
      field === undefined
        ? ''
        : `, count(fd) AS numeric_n,
             count(*) FILTER (WHERE fv IS NOT NULL AND NOT fnum) AS other_n,
             avg(fd) AS prediction_mean,
             quantile_cont(fd, [0.05, 0.5, 0.95]) AS fq,
             avg(abs(fd - try_cast(l_value AS DOUBLE))) FILTER (WHERE labelled AND lnum) AS mae,
             avg(CASE WHEN fnum AND lnum THEN (fd = try_cast(l_value AS DOUBLE))::DOUBLE
                      ELSE (fv::VARCHAR = l_value::VARCHAR)::DOUBLE END) FILTER (WHERE labelled) AS accuracy`;
    // Value counts need no label, so without a label filter they are taken from `base` (already
    // materialized) rather than from the join.
    const distributionCtes =
      field === undefined
        ? ''
        : `, value_counts AS (
          SELECT ${request.labelled === undefined ? keysOf('j') : keys.map((key) => `j.${key}`).join(', ')},
            json_extract_string(j.fv, '$') AS value, count(*) AS n
          FROM ${request.labelled === undefined ? 'base' : 'joined'} j
          WHERE j.ft IN ('VARCHAR', 'BOOLEAN')
          GROUP BY ALL
        ),
        distribution AS (
          SELECT ${keyList}, list({'value': value, 'count': n} ORDER BY n DESC, value) AS dist
          FROM (SELECT * FROM value_counts
            QUALIFY row_number() OVER (PARTITION BY ${keyList} ORDER BY n DESC, value) <= ${DISTRIBUTION_TOP})
          GROUP BY ${keyList}
        )`;
    // `base` is read by the join's four branches, so DuckDB materializes it: it carries only the
    // prediction field and its JSON type, each computed once, never the whole output JSON.
    const sql = `WITH base AS (
        SELECT p.rowid AS rid, p.endpoint, p.prediction_id, p.shadow_of, p.entity_id, p.ts,
          p.model_version, p.arm, p.latency_ms
          ${field === undefined ? '' : ', json_extract(p.output, $field_path) AS fv, json_type(fv) AS ft'}
        FROM ${PREDICTIONS_TABLE} p WHERE ${where.join(' AND ')} AND p.error IS NULL ${servedCut}
      ), ${WINNERS_CTE},
      joined AS (
        SELECT ${bucketOf('b')}, b.model_version, b.arm,
          b.latency_ms, epoch_ms(b.ts) AS ts_ms, w.rid IS NOT NULL AS labelled, w.value AS l_value,
          epoch_ms(w.received_at) AS l_received_ms ${fieldColumns}
        FROM base b LEFT JOIN winners w ON w.rid = b.rid ${labelledWhere}
      ),
      served AS (
        SELECT ${keyList}, count(*) AS n,
          quantile_cont(latency_ms, [0.5, 0.95, 0.99]) AS q, count(*) FILTER (WHERE labelled) AS labelled_n,
          quantile_cont(l_received_ms - ts_ms, 0.5) FILTER (WHERE labelled) AS delay_p50 ${fieldAggregates}
        FROM joined GROUP BY ${keyList}
      ),
      failed AS (
        SELECT ${keysOf('p')}, count(*) AS errors
        FROM ${PREDICTIONS_TABLE} p WHERE ${where.join(' AND ')} AND p.error IS NOT NULL ${failedCut}
        GROUP BY ALL
      ) ${distributionCtes}
      SELECT * FROM served FULL OUTER JOIN failed USING (${keyList})
      ${field === undefined ? '' : `LEFT JOIN distribution d USING (${keyList})`}
      ORDER BY ${keyList}`;
    const rows = await this.rows(sql, params);
    return rows.map((row) => {
      const count = Number(row.n ?? 0);
      const errors = Number(row.errors ?? 0);
      const bucket: AggregateBucket = {
        start: Number(row.bucket),
        ...(byVersion ? { modelVersion: row.model_version as string } : {}),
        ...(byArm ? { arm: row.arm as TrafficArm } : {}),
        count,
        errors,
        errorRate: errors / (errors + count),
        labelled: Number(row.labelled_n ?? 0),
      };
      if (count > 0) {
        // One sort per group for the three quantiles (a list), where three aggregates sorted thrice.
        const quantiles = row.q as number[];
        bucket.latencyP50 = Number(quantiles[0]);
        bucket.latencyP95 = Number(quantiles[1]);
        bucket.latencyP99 = Number(quantiles[2]);
      }
      if (bucket.labelled > 0) bucket.labelDelayP50 = Number(row.delay_p50);
      if (field !== undefined && count > 0) {
        const numeric = Number(row.numeric_n) > 0;
        if (numeric) {
          const fq = row.fq as number[];
          bucket.predictionMean = Number(row.prediction_mean);
          bucket.predictionP05 = Number(fq[0]);
          bucket.predictionP50 = Number(fq[1]);
          bucket.predictionP95 = Number(fq[2]);
          if (row.mae !== null && row.mae !== undefined) bucket.mae = Number(row.mae);
          if (bucket.labelled > 0) bucket.accuracy = Number(row.accuracy);
        } else {
          const other = Number(row.other_n);
          if (other > 0) setDistribution(bucket, (row.dist as DistributionEntry[] | null) ?? [], other);
          if (bucket.labelled > 0) bucket.accuracy = Number(row.accuracy);
        }
      }
      return bucket;
    });
  }

  /** One `COPY (joined query) TO file`: DuckDB writes Parquet, CSV or JSON lines itself. */
  private async copyOut(request: ExportRequest): Promise<{ rows: number }> {
    const format = EXPORT_FORMAT_OPTIONS[request.format];
    if (format === undefined) {
      throw invalidArgument(
        'format',
        `format must be one of ${Object.keys(EXPORT_FORMAT_OPTIONS).join(', ')}`,
      );
    }
    const params: Params = {};
    const where = filterSql(request, params);
    const labelled = request.labelled;
    const query = `WITH base AS (
        SELECT p.rowid AS rid, p.* FROM ${PREDICTIONS_TABLE} p WHERE ${where.join(' AND ')}
      ), ${WINNERS_CTE}
      SELECT ${EXPORT_SELECT} FROM base b LEFT JOIN winners w ON w.rid = b.rid
      ${labelled === undefined ? '' : labelled ? 'WHERE w.rid IS NOT NULL' : 'WHERE w.rid IS NULL'}
      ORDER BY b.ts, b.prediction_id`;
    // The path is the server's own (never a caller's), so it is quoted in, not bound: COPY takes no
    // parameter for its target.
    const rows = await this.rows(
      `COPY (${query}) TO '${request.path.replaceAll("'", "''")}' ${format}`,
      params,
    );
    return { rows: Number(Object.values(rows[0] ?? {})[0] ?? 0) };
  }

  private async deleteOlder(before: number): Promise<number> {
    checkFinite(before, 'before');
    const params = { before: timestamp(before) };
    return this.transaction(async () => {
      const [deleted] = await this.rows(`DELETE FROM ${PREDICTIONS_TABLE} WHERE ts < $before`, params);
      await this.connection.run(`DELETE FROM ${LABELS_TABLE} WHERE received_at < $before`, params);
      return Number(deleted?.Count ?? 0);
    });
  }
}

/**
 * Sets a bucket's `distribution` from its top values and `distributionOther` from `present`, the
 * predictions with a non-numeric value: those beyond the top values and JSON nulls, objects, arrays.
 */
function setDistribution(bucket: AggregateBucket, top: readonly DistributionEntry[], present: number): void {
  const distribution = top.map((entry) => ({ value: String(entry.value), count: Number(entry.count) }));
  bucket.distribution = distribution;
  bucket.distributionOther = present - distribution.reduce((sum, entry) => sum + entry.count, 0);
}

/** WHERE conditions (on predictions `p`) of a filter, binding their values into `params`. */
function filterSql(filter: PredictionFilter, params: Params): string[] {
  checkString(filter.endpoint, 'endpoint');
  params.endpoint = filter.endpoint;
  const where = ['p.endpoint = $endpoint'];
  if (filter.from !== undefined) {
    checkFinite(filter.from, 'from');
    params.from = timestamp(filter.from);
    where.push('p.ts >= $from');
  }
  if (filter.to !== undefined) {
    checkFinite(filter.to, 'to');
    params.to = timestamp(filter.to);
    where.push('p.ts < $to');
  }
  if (filter.modelVersion !== undefined) {
    checkString(filter.modelVersion, 'modelVersion');
    params.model_version = filter.modelVersion;
    where.push('p.model_version = $model_version');
  }
  if (filter.arm !== undefined) {
    checkString(filter.arm, 'arm');
    params.arm = filter.arm;
    where.push('p.arm = $arm');
  }
  if (filter.excludeShadows === true) where.push("p.arm <> 'shadow'");
  if (filter.entityId !== undefined) {
    checkString(filter.entityId, 'entityId');
    params.entity_id = filter.entityId;
    where.push('p.entity_id = $entity_id');
  }
  if (filter.status !== undefined) where.push(statusSql(filter.status));
  if (filter.tag !== undefined) {
    checkString(filter.tag.key, 'tag.key');
    checkString(filter.tag.value, 'tag.value');
    params.tag_path = jsonPointer(filter.tag.key);
    params.tag_value = filter.tag.value;
    where.push(
      `json_type(p.tags, $tag_path) = 'VARCHAR' AND json_extract_string(p.tags, $tag_path) = $tag_value`,
    );
  }
  return where;
}

/** The condition (on `p`) of a `status` filter; INVALID_ARGUMENT naming `status` for another value. */
function statusSql(status: unknown): string {
  if (status === 'ok') return 'p.error IS NULL';
  if (status === 'error') return 'p.error IS NOT NULL';
  throw invalidArgument('status', "status must be 'ok' or 'error'");
}

/** A JSON pointer to the top-level key `key` (so any key, dots and quotes included, is one step). */
function jsonPointer(key: string): string {
  return `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/**
 * A timestamp bound (ms) as a TIMESTAMP value. Stored instants are whole milliseconds, so rounding a
 * fractional bound up keeps both `ts >= bound` and `ts < bound` exact.
 */
function timestamp(ms: number): DuckDBTimestampValue {
  return new DuckDBTimestampValue(BigInt(Math.ceil(ms)) * 1000n);
}

function checkFinite(value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalidArgument(field, `${field} must be a finite number of milliseconds`);
  }
}

function checkString(value: unknown, field: string): void {
  if (typeof value !== 'string') throw invalidArgument(field, `${field} must be a string`);
}

function checkLimit(limit: unknown): number {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw invalidArgument('limit', `limit must be an integer from 1 to ${MAX_PAGE}`);
  }
  return limit;
}

/** An opaque page cursor: base64url of the JSON `[ms, id]` of the last row of the page. */
function encodeCursor(ms: number, id: string): string {
  return Buffer.from(JSON.stringify([ms, id]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: unknown): [number, string] {
  const malformed = (): Error => invalidArgument('cursor', 'cursor is not a cursor this query returned');
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw malformed();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw malformed();
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 2 ||
    typeof decoded[0] !== 'number' ||
    !Number.isSafeInteger(decoded[0]) ||
    typeof decoded[1] !== 'string'
  ) {
    throw malformed();
  }
  return [decoded[0], decoded[1]];
}

/** One record as the appender takes it, checked and serialised. */
interface PredictionRow {
  record: PredictionRecord;
  micros: bigint;
  input: string;
  output: string;
  tags: string | undefined;
  error: string | undefined;
}

function toRow(record: PredictionRecord): PredictionRow {
  if (!Number.isFinite(record.timestamp)) {
    throw new Error(`Prediction '${record.predictionId}' has a non-finite timestamp`);
  }
  return {
    record,
    micros: BigInt(Math.trunc(record.timestamp)) * 1000n,
    input: toJson(record.input, record.predictionId, 'input'),
    output: toJson(record.output, record.predictionId, 'output'),
    tags: record.tags === undefined ? undefined : toJson(record.tags, record.predictionId, 'tags'),
    error: record.error === undefined ? undefined : errorJson(record),
  };
}

/** The `error` column of a failed request's record: exactly `{code, message}`, both strings. */
function errorJson(record: PredictionRecord): string {
  const { code, message } = record.error ?? {};
  if (typeof code !== 'string' || typeof message !== 'string') {
    throw new Error(`Prediction '${record.predictionId}' has an error without a string code and message`);
  }
  return JSON.stringify({ code, message });
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

function appendOptional(appender: DuckDBAppender, value: string | undefined): void {
  if (value === undefined) appender.appendNull();
  else appender.appendVarchar(value);
}

function appendRow(
  appender: DuckDBAppender,
  { record, micros, input, output, tags, error }: PredictionRow,
): void {
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
  appendOptional(appender, record.shadowOf);
  appendOptional(appender, record.entityId);
  appendOptional(appender, tags);
  appendOptional(appender, record.apiVersion);
  appendOptional(appender, record.jobId);
  appendOptional(appender, error);
  appender.endRow();
}

/** One label checked and ready for the appender. */
interface LabelRow {
  label: LabelRecord;
  from: bigint | undefined;
  to: bigint | undefined;
  receivedAt: bigint;
  value: string;
}

/** Checks label `index` of a write (throwing INVALID_ARGUMENT naming the field) and serialises it. */
function toLabelRow(label: LabelRecord, index: number): LabelRow {
  const field = (name: string): string => `labels[${index}].${name}`;
  if (typeof label !== 'object' || label === null) {
    throw invalidArgument(`labels[${index}]`, 'A label must be an object');
  }
  if (typeof label.labelId !== 'string' || label.labelId === '') {
    throw invalidArgument(field('labelId'), 'labelId must be a non-empty string');
  }
  if (typeof label.endpoint !== 'string' || label.endpoint === '') {
    throw invalidArgument(field('endpoint'), 'endpoint must be a non-empty string');
  }
  const byId = label.predictionId !== undefined;
  const byEntity = label.entityId !== undefined;
  if (byId === byEntity) {
    throw invalidArgument(field('predictionId'), 'A label names exactly one of predictionId and entityId');
  }
  if (byId && typeof label.predictionId !== 'string') {
    throw invalidArgument(field('predictionId'), 'predictionId must be a string');
  }
  if (byEntity && typeof label.entityId !== 'string') {
    throw invalidArgument(field('entityId'), 'entityId must be a string');
  }
  for (const bound of ['from', 'to'] as const) {
    const value = label[bound];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw invalidArgument(field(bound), `${bound} must be a finite number of milliseconds`);
    }
  }
  if (label.from !== undefined && label.to !== undefined && !(label.from < label.to)) {
    throw invalidArgument(field('to'), 'to must be later than from');
  }
  if (typeof label.receivedAt !== 'number' || !Number.isFinite(label.receivedAt)) {
    throw invalidArgument(field('receivedAt'), 'receivedAt must be a finite number of milliseconds');
  }
  const value: unknown = label.value;
  if (
    typeof value !== 'string' &&
    typeof value !== 'boolean' &&
    !(typeof value === 'number' && Number.isFinite(value))
  ) {
    throw invalidArgument(field('value'), 'value must be a string, a finite number or a boolean');
  }
  if (label.source !== undefined && typeof label.source !== 'string') {
    throw invalidArgument(field('source'), 'source must be a string');
  }
  return {
    label,
    // Window bounds are compared with whole-millisecond instants: rounding up keeps [from, to) exact.
    from: label.from === undefined ? undefined : BigInt(Math.ceil(label.from)) * 1000n,
    to: label.to === undefined ? undefined : BigInt(Math.ceil(label.to)) * 1000n,
    receivedAt: BigInt(Math.trunc(label.receivedAt)) * 1000n,
    value: JSON.stringify(value),
  };
}

function appendTimestampOrNull(appender: DuckDBAppender, micros: bigint | undefined): void {
  if (micros === undefined) appender.appendNull();
  else appender.appendTimestamp(new DuckDBTimestampValue(micros));
}

function appendLabelRow(appender: DuckDBAppender, { label, from, to, receivedAt, value }: LabelRow): void {
  appender.appendVarchar(label.labelId);
  appender.appendVarchar(label.endpoint);
  appendOptional(appender, label.predictionId);
  appendOptional(appender, label.entityId);
  appendTimestampOrNull(appender, from);
  appendTimestampOrNull(appender, to);
  appender.appendVarchar(value);
  appender.appendTimestamp(new DuckDBTimestampValue(receivedAt));
  appendOptional(appender, label.source);
  appender.endRow();
}

function rowToPrediction(row: Row): LoggedPrediction {
  const timestamp = Number(row.ts_ms);
  const prediction: LoggedPrediction = {
    predictionId: row.prediction_id as string,
    endpoint: row.endpoint as string,
    modelName: row.model_name as string,
    modelVersion: row.model_version as string,
    arm: row.arm as LoggedPrediction['arm'],
    protocol: row.protocol as LoggedPrediction['protocol'],
    timestamp,
    latencyMs: Number(row.latency_ms),
    requestId: row.request_id as string,
    input: JSON.parse(row.input as string) as Record<string, unknown>,
    output: JSON.parse(row.output as string) as Record<string, unknown>,
  };
  if (row.shadow_of !== null) prediction.shadowOf = row.shadow_of as string;
  if (row.entity_id !== null) prediction.entityId = row.entity_id as string;
  if (row.tags !== null) prediction.tags = JSON.parse(row.tags as string) as Record<string, string>;
  if (row.api_version !== null) prediction.apiVersion = row.api_version as string;
  if (row.job_id !== null) prediction.jobId = row.job_id as string;
  if (row.error !== null && row.error !== undefined) {
    prediction.error = JSON.parse(row.error as string) as PredictionError;
  }
  if (row.l_id !== null) {
    const receivedAt = Number(row.l_received_ms);
    const label: JoinedLabel = {
      value: JSON.parse(row.l_value as string) as LabelValue,
      receivedAt,
      delayMs: receivedAt - timestamp,
      labelId: row.l_id as string,
    };
    prediction.label = label;
  }
  return prediction;
}

function rowToLabel(row: Row): LabelRecord {
  const label: LabelRecord = {
    labelId: row.label_id as string,
    endpoint: row.endpoint as string,
    value: JSON.parse(row.value as string) as LabelValue,
    receivedAt: Number(row.received_ms),
  };
  if (row.prediction_id !== null) label.predictionId = row.prediction_id as string;
  if (row.entity_id !== null) label.entityId = row.entity_id as string;
  if (row.from_ms !== null) label.from = Number(row.from_ms);
  if (row.to_ms !== null) label.to = Number(row.to_ms);
  if (row.source !== null) label.source = row.source as string;
  return label;
}
