/**
 * `slipway labels import|unmatched`: delayed labels for an endpoint's prediction log, through the
 * SDK. `import` reads a CSV or JSONL file of `prediction_id` or `entity_id` (+ optional `from`,
 * `to`) and `label`, checks every row first (a bad row is reported with its line number and nothing
 * is sent), then submits in calls of 10,000 and prints the summed `{stored, matched, unmatched}`.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { Option, type Command } from 'commander';
import { invalidArgument, type LabelRecord, type LabelValue } from '@slipway/contracts';
import type { LabelSubmission } from '@slipway/sdk';
import {
  addClientOptions,
  clientFor,
  formatFields,
  formatTable,
  formatTime,
  parsePositiveInt,
  writeJson,
  writerOf,
  type ClientFlags,
} from './output.js';
import type { CliDeps } from './program.js';

const FORMATS = ['csv', 'jsonl'] as const;
const LABEL_TYPES = ['string', 'number', 'boolean'] as const;

type LabelFormat = (typeof FORMATS)[number];
type LabelType = (typeof LABEL_TYPES)[number];

interface ImportFlags extends ClientFlags {
  format?: LabelFormat;
  labelType?: LabelType;
}

interface UnmatchedFlags extends ClientFlags {
  limit?: number;
  cursor?: string;
}

/** The columns (CSV) or keys (JSONL) a label row may have. */
const KEYS = new Set(['prediction_id', 'entity_id', 'from', 'to', 'label']);

/** Bad rows listed in the error before the rest are only counted. */
const MAX_REPORTED = 20;

/** Registers `slipway labels ...`. */
export function registerLabelsCommands(program: Command, deps: CliDeps): void {
  const labels = program
    .command('labels')
    .description("Send delayed labels for an endpoint's predictions and list the unmatched ones.");
  registerImport(labels, deps);
  registerUnmatched(labels, deps);
}

function registerImport(parent: Command, deps: CliDeps): void {
  const command = parent
    .command('import')
    .description(
      'Import labels from a CSV or JSONL file: prediction_id, or entity_id with optional from and to, ' +
        'and label. The whole file is checked first: one bad row and nothing is sent.',
    )
    .argument('<endpoint>', 'endpoint name')
    .argument('<file>', '.csv or .jsonl file of labels')
    .addOption(new Option('--format <format>', 'file format (default: from the extension)').choices(FORMATS))
    .addOption(
      new Option(
        '--label-type <type>',
        'type every label as this (default: CSV numbers and true/false are typed, the rest are strings)',
      ).choices(LABEL_TYPES),
    );
  addClientOptions(command, deps).action(async (endpoint: string, file: string, flags: ImportFlags) => {
    const format = flags.format ?? formatOf(file);
    const text = await readFile(file, 'utf8');
    const labels = parseLabels(text, format, file, flags.labelType);
    const result = await clientFor(flags).predictions.submitLabels(endpoint, labels);
    const write = writerOf(deps);
    if (flags.json) return writeJson(write, result);
    write(`Imported ${labels.length} labels from ${file} into endpoint ${endpoint}.\n`);
    write(
      formatFields([
        ['Stored', String(result.stored)],
        ['Matched', String(result.matched)],
        ['Unmatched', String(result.unmatched)],
      ]),
    );
  });
}

function registerUnmatched(parent: Command, deps: CliDeps): void {
  const command = parent
    .command('unmatched')
    .description("List an endpoint's labels that match no logged prediction yet, newest first.")
    .argument('<endpoint>', 'endpoint name')
    .option('--limit <n>', 'page size (1-1000, default 100)', parsePositiveInt)
    .option('--cursor <cursor>', 'continue from a previous page');
  addClientOptions(command, deps).action(async (endpoint: string, flags: UnmatchedFlags) => {
    const page = await clientFor(flags).predictions.unmatchedLabels(endpoint, {
      ...(flags.limit === undefined ? {} : { limit: flags.limit }),
      ...(flags.cursor === undefined ? {} : { cursor: flags.cursor }),
    });
    const write = writerOf(deps);
    if (flags.json) return writeJson(write, page);
    if (page.labels.length === 0) {
      write('No unmatched labels.\n');
      return;
    }
    write(unmatchedTable(page.labels));
    write(`${page.labels.length} of ${page.total} unmatched labels.\n`);
    if (page.nextCursor) write(`More results: --cursor ${page.nextCursor}\n`);
  });
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/** The format named by the file's extension. */
function formatOf(file: string): LabelFormat {
  const ext = extname(file).slice(1).toLowerCase();
  if (ext === 'csv') return 'csv';
  if (ext === 'jsonl' || ext === 'ndjson') return 'jsonl';
  throw invalidArgument(
    'format',
    `Cannot tell the format of ${file} from its extension: give --format csv|jsonl`,
  );
}

/** One row of the file, its values still raw, with the line it starts on. */
interface RawRow {
  line: number;
  fields: Record<string, unknown>;
  /** CSV cells are text to type; JSONL values keep their JSON type. */
  csv: boolean;
}

/** Every label of the file, or an INVALID_ARGUMENT listing each bad row by line number. */
function parseLabels(
  text: string,
  format: LabelFormat,
  file: string,
  labelType: LabelType | undefined,
): LabelSubmission[] {
  const problems: string[] = [];
  const rows = format === 'csv' ? csvRows(text, problems) : jsonlRows(text, problems);
  const labels: LabelSubmission[] = [];
  for (const row of rows) {
    try {
      labels.push(labelOf(row, labelType));
    } catch (err) {
      problems.push(`line ${row.line}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (problems.length > 0) {
    const listed = problems.slice(0, MAX_REPORTED).map((p) => `\n  ${p}`);
    const more = problems.length > MAX_REPORTED ? `\n  ... and ${problems.length - MAX_REPORTED} more` : '';
    throw invalidArgument(
      'file',
      `${file}: ${problems.length} bad row${problems.length === 1 ? '' : 's'}, nothing was sent:${listed.join('')}${more}`,
    );
  }
  if (labels.length === 0) throw invalidArgument('file', `${file} holds no labels`);
  return labels;
}

function jsonlRows(text: string, problems: string[]): RawRow[] {
  const rows: RawRow[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      problems.push(`line ${i + 1}: not valid JSON`);
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`line ${i + 1}: expected a JSON object`);
      return;
    }
    rows.push({ line: i + 1, fields: value as Record<string, unknown>, csv: false });
  });
  return rows;
}

/** RFC 4180 records (quoted fields may hold commas, doubled quotes and line breaks) keyed by the header. */
function csvRows(text: string, problems: string[]): RawRow[] {
  const records = csvRecords(text.startsWith('\uFEFF') ? text.slice(1) : text);
  const header = records.shift();
  if (header === undefined) return [];
  const columns = header.cells.map((c) => c.trim());
  const unknown = columns.filter((c) => !KEYS.has(c));
  if (unknown.length > 0) {
    problems.push(
      `line ${header.line}: unknown column${unknown.length === 1 ? '' : 's'} ${unknown.map((c) => `'${c}'`).join(', ')} ` +
        '(expected prediction_id or entity_id, from, to, label)',
    );
    return [];
  }
  if (!columns.includes('label')) {
    problems.push(`line ${header.line}: no label column`);
    return [];
  }
  const rows: RawRow[] = [];
  for (const record of records) {
    if (record.cells.length === 1 && record.cells[0] === '') continue; // blank line
    if (record.cells.length !== columns.length) {
      problems.push(`line ${record.line}: ${record.cells.length} values for ${columns.length} columns`);
      continue;
    }
    const fields: Record<string, unknown> = {};
    // An empty cell is an absent value (so one file can mix id and entity rows).
    columns.forEach((column, i) => {
      const cell = record.cells[i] ?? '';
      if (cell !== '') fields[column] = cell;
    });
    rows.push({ line: record.line, fields, csv: true });
  }
  return rows;
}

/** Splits CSV text into records of raw cells, each with the line it starts on. */
function csvRecords(text: string): { line: number; cells: string[] }[] {
  const records: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  const endRecord = (): void => {
    cells.push(cell);
    records.push({ line: start, cells });
    cells = [];
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        cell += c;
      }
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      if (c === '\r') i++;
      endRecord();
      line++;
      start = line;
    } else cell += c;
  }
  if (quoted) throw invalidArgument('file', `line ${start}: the file ends inside a quoted field`);
  if (cell !== '' || cells.length > 0) endRecord();
  return records;
}

/** One checked label, as the server would check it, so a file is refused before anything is sent. */
function labelOf(row: RawRow, labelType: LabelType | undefined): LabelSubmission {
  const { fields } = row;
  const extra = Object.keys(fields).find((key) => !KEYS.has(key));
  if (extra !== undefined) throw new Error(`unknown key '${extra}'`);
  const predictionId = idOf(fields['prediction_id'], 'prediction_id');
  const entityId = idOf(fields['entity_id'], 'entity_id');
  if ((predictionId === undefined) === (entityId === undefined)) {
    throw new Error('needs exactly one of prediction_id or entity_id');
  }
  const from = timeOf(fields['from'], 'from');
  const to = timeOf(fields['to'], 'to');
  if (predictionId !== undefined && (from !== undefined || to !== undefined)) {
    throw new Error("from and to bound an entity's predictions; a prediction_id takes none");
  }
  if (from !== undefined && to !== undefined && from >= to) throw new Error('to must be after from');
  const label: LabelSubmission = { label: labelValueOf(fields['label'], row.csv, labelType) };
  if (predictionId !== undefined) label.predictionId = predictionId;
  if (entityId !== undefined) label.entityId = entityId;
  if (from !== undefined) label.from = from;
  if (to !== undefined) label.to = to;
  return label;
}

function idOf(value: unknown, key: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    throw new Error(`${key} must be a string of 1-256 characters`);
  }
  return value;
}

/** ms since the epoch or ISO 8601, as the server reads it. */
function timeOf(value: unknown, key: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const asNumber = Number(value);
    if (Number.isFinite(asNumber)) return asNumber;
    const parsed = Date.parse(value);
    if (Number.isFinite(parsed)) return parsed;
  }
  throw new Error(
    `${key} must be milliseconds since the epoch or an ISO 8601 time, got ${JSON.stringify(value)}`,
  );
}

/**
 * The label's value. CSV text that parses as a finite number is a number, `true`/`false` are
 * booleans, anything else a string; JSONL keeps its JSON type. `--label-type` forces one type.
 */
function labelValueOf(value: unknown, csv: boolean, labelType: LabelType | undefined): LabelValue {
  if (value === undefined || value === null) throw new Error('label is missing');
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new Error('label must be a string, a finite number or a boolean');
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('label must be finite');
  switch (labelType) {
    case 'string':
      return String(value);
    case 'number': {
      const n =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && value.trim() !== ''
            ? Number(value)
            : NaN;
      if (!Number.isFinite(n)) throw new Error(`label ${JSON.stringify(value)} is not a finite number`);
      return n;
    }
    case 'boolean':
      if (value === true || value === 'true') return true;
      if (value === false || value === 'false') return false;
      throw new Error(`label ${JSON.stringify(value)} is not true or false`);
    case undefined:
      break;
  }
  if (!csv || typeof value !== 'string') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  const n = Number(value);
  return value.trim() !== '' && Number.isFinite(n) ? n : value;
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

function unmatchedTable(labels: LabelRecord[]): string {
  return formatTable(
    ['RECEIVED', 'PREDICTION', 'ENTITY', 'WINDOW', 'LABEL', 'SOURCE'],
    labels.map((l) => [
      formatTime(l.receivedAt),
      l.predictionId ?? '-',
      l.entityId ?? '-',
      l.entityId === undefined ? '-' : windowText(l.from, l.to),
      JSON.stringify(l.value),
      l.source ?? '-',
    ]),
  );
}

function windowText(from: number | undefined, to: number | undefined): string {
  if (from === undefined && to === undefined) return 'any time';
  return `[${from === undefined ? '...' : formatTime(from)}, ${to === undefined ? '...' : formatTime(to)})`;
}
