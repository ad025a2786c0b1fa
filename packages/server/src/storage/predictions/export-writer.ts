/**
 * Writes exported prediction-log rows to a file for backends that cannot write the formats
 * themselves (PostgreSQL): CSV (a header row, RFC 4180 quoting, LF line ends like DuckDB's) and JSON lines directly, Parquet through
 * an in-memory DuckDB reading those JSON lines with the export's column types, so every backend's
 * Parquet has the same schema as DuckDB's own `COPY`.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { DuckDBInstance } from '@duckdb/node-api';
import { EXPORT_COLUMNS, type ExportFormat } from '@slipway/contracts';

/** One exported row: every `EXPORT_COLUMNS` key; times as ISO 8601 UTC text, JSON columns as text. */
export type ExportRow = Record<(typeof EXPORT_COLUMNS)[number], string | number | null>;

/** DuckDB types of the export columns (the same as `DuckDbPredictionStore`'s `COPY`). */
const COLUMN_TYPES: Record<(typeof EXPORT_COLUMNS)[number], string> = {
  prediction_id: 'VARCHAR',
  endpoint: 'VARCHAR',
  model_name: 'VARCHAR',
  model_version: 'VARCHAR',
  arm: 'VARCHAR',
  protocol: 'VARCHAR',
  timestamp: 'TIMESTAMP',
  latency_ms: 'DOUBLE',
  request_id: 'VARCHAR',
  entity_id: 'VARCHAR',
  shadow_of: 'VARCHAR',
  api_version: 'VARCHAR',
  job_id: 'VARCHAR',
  tags: 'VARCHAR',
  input: 'VARCHAR',
  output: 'VARCHAR',
  error: 'VARCHAR',
  label: 'VARCHAR',
  label_received_at: 'TIMESTAMP',
  label_delay_ms: 'BIGINT',
};

/** Writes `batches` to `path` in `format`; returns the number of rows written. */
export async function writeExport(
  batches: AsyncIterable<readonly ExportRow[]>,
  format: ExportFormat,
  path: string,
): Promise<number> {
  if (format !== 'parquet') return writeText(batches, format, path);
  const dir = await mkdtemp(join(tmpdir(), 'slipway-export-'));
  try {
    const jsonl = join(dir, 'rows.jsonl');
    const rows = await writeText(batches, 'jsonl', jsonl);
    await jsonLinesToParquet(jsonl, path);
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function writeText(
  batches: AsyncIterable<readonly ExportRow[]>,
  format: 'csv' | 'jsonl',
  path: string,
): Promise<number> {
  const out = createWriteStream(path);
  const closed = once(out, 'close');
  let rows = 0;
  try {
    if (format === 'csv') await write(out, `${EXPORT_COLUMNS.join(',')}\n`);
    for await (const batch of batches) {
      const text = batch
        .map((row) => (format === 'csv' ? csvLine(row) : `${JSON.stringify(row)}\n`))
        .join('');
      await write(out, text);
      rows += batch.length;
    }
  } finally {
    out.end();
    await closed;
  }
  return rows;
}

/** Writes `text`, waiting for the stream to drain when its buffer is full (bounded memory). */
async function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out as NodeJS.EventEmitter, 'drain');
}

function csvLine(row: ExportRow): string {
  return `${EXPORT_COLUMNS.map((column) => csvField(row[column])).join(',')}\n`;
}

/** RFC 4180 fields (lines end in LF, as DuckDB's own CSV does): quoted when it holds a comma, a quote or a line break; quotes doubled. Null is empty. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

async function jsonLinesToParquet(jsonl: string, path: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const columns = `{${EXPORT_COLUMNS.map((c) => `'${c}': '${COLUMN_TYPES[c]}'`).join(', ')}}`;
    const quote = (p: string): string => `'${p.replaceAll("'", "''")}'`;
    // Both paths are this process's own (a temp file and the export target), never a caller's.
    await connection.run(
      `COPY (SELECT ${EXPORT_COLUMNS.join(', ')} FROM read_json(${quote(jsonl)}, format = 'newline_delimited',
        columns = ${columns})) TO ${quote(path)} (FORMAT parquet)`,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
