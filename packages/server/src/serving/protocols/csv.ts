/**
 * A small RFC 4180 CSV reader for MLflow's `text/csv` invocations: a header row, then records;
 * quoted fields may hold commas, quotes (doubled) and line breaks; CRLF or LF line ends.
 * Values are typed by the model's contract, so the validator still names the bad field.
 */
import { invalidArgument, type ModelContract } from '@slipway/contracts';
import type { InputRow } from '../../runtimes/runtime.js';
import { setField, type DecodedRows } from './common.js';

/** The request field CSV refusals name. */
const FIELD = 'csv';

/** Splits CSV text into records of raw string fields. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endField = (): void => {
    record.push(field);
    field = '';
  };
  const endRecord = (): void => {
    endField();
    records.push(record);
    record = [];
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') endField();
    else if (c === '\n') endRecord();
    else if (c === '\r' && text[i + 1] === '\n') {
      endRecord();
      i++;
    } else field += c;
    i++;
  }
  if (quoted) throw invalidArgument(FIELD, 'The CSV body ends inside a quoted field');
  if (field !== '' || record.length > 0) endRecord();
  return records;
}

/** Decodes a `text/csv` body into rows, typing values by the contract's input fields. */
export function decodeMlflowCsv(text: string, contract?: ModelContract): DecodedRows {
  const [header, ...records] = parseCsv(text);
  if (header === undefined || header.every((h) => h === '')) {
    throw invalidArgument(FIELD, 'The CSV body needs a header row naming the columns');
  }
  const types = new Map((contract?.inputs.fields ?? []).map((f) => [f.name, f.type]));
  const rows: InputRow[] = records.map((values, r) => {
    if (values.length !== header.length) {
      throw invalidArgument(
        `${FIELD}[${r}]`,
        `CSV record ${r + 1} has ${values.length} fields; the header has ${header.length}`,
      );
    }
    const row: Record<string, unknown> = {};
    header.forEach((name, c) => setField(row, name, typed(values[c] ?? '', types.get(name))));
    return row;
  });
  return { rows, source: { field: FIELD, layout: 'rows' } };
}

/** A CSV value as the contract wants it; left as text when it does not parse, so validation names it. */
function typed(raw: string, type: string | undefined): unknown {
  if (raw === '') return null;
  if (type === 'string') return raw;
  if (type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  const n = Number(raw);
  if (type === undefined) return Number.isFinite(n) && raw.trim() !== '' ? n : raw;
  return Number.isFinite(n) ? n : raw;
}
