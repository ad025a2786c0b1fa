/**
 * MLflow scoring-server compatibility (`POST /invocations`, as `mlflow models serve` answers it),
 * pure: the JSON request formats and the `{"predictions": ...}` response.
 *
 * A body holds exactly one of:
 * - `dataframe_split`: `{columns, data, index?}` (pandas "split" orient; `index` is ignored). Without
 *   `columns`, a `columns` contract names the values positionally;
 * - `dataframe_records`: `[{col: value, ...}, ...]`;
 * - `instances`: a list of row objects, or of per-row values (see below);
 * - `inputs`: a dict of column → values (or tensor input → per-row values), or a list as for
 *   `instances`;
 * plus optional `params` (an object of inference parameters, as MLflow ≥ 2.6 accepts).
 *
 * A list element that is not an object is a row's value of the model's only input when the
 * contract has exactly one input; with a `columns` contract of k > 1 columns, an array of k values
 * names them positionally (how MLflow turns a 2-D list into a DataFrame for a column signature).
 * Only `application/json` is decoded here (CSV is a separate decoder).
 */
import { invalidArgument, type ModelContract } from '@slipway/contracts';
import type { InputRow, OutputRow } from '../../runtimes/runtime.js';
import {
  describe,
  isPlainObject,
  refuseUnknownKeys,
  rowsFromColumns,
  setField,
  type DecodedRows,
} from './common.js';

/** The JSON request formats. */
export const MLFLOW_FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

/** A JSON request format. */
export type MlflowFormat = (typeof MLFLOW_FORMATS)[number];

/** A decoded invocations request. */
export interface MlflowDecodedRequest extends DecodedRows {
  format: MlflowFormat;
  params?: Record<string, unknown>;
}

/** Body of an invocations response. */
export interface MlflowPredictionsResponse {
  predictions: unknown[];
}

/**
 * The body kind of an invocations request: `application/json` or `text/csv` (parameters such as
 * `; charset=utf-8` are allowed); anything else is INVALID_ARGUMENT naming `Content-Type`.
 */
export function mlflowBodyKind(contentType: string | undefined): 'json' | 'csv' {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType === 'application/json') return 'json';
  if (mediaType === 'text/csv') return 'csv';
  const got = contentType === undefined || mediaType === '' ? 'none' : `'${mediaType}'`;
  throw invalidArgument(
    'Content-Type',
    `Content-Type must be application/json or text/csv (got ${got}); as JSON send one of ${MLFLOW_FORMATS.join(', ')}`,
  );
}

/** Decodes an invocations JSON body into rows for `contract` (used only to place bare values). */
export function decodeMlflowRequest(body: unknown, contract?: ModelContract): MlflowDecodedRequest {
  if (!isPlainObject(body)) {
    throw invalidArgument('body', `The request body must be a JSON object, got ${describe(body)}`);
  }
  refuseUnknownKeys(body, [...MLFLOW_FORMATS, 'params'], '', 'an invocations request');
  const formats = MLFLOW_FORMATS.filter((f) => body[f] !== undefined);
  if (formats.length !== 1) {
    throw invalidArgument(
      formats[1] ?? 'body',
      formats.length === 0
        ? `The request needs one of ${MLFLOW_FORMATS.join(', ')}`
        : `Send exactly one of ${MLFLOW_FORMATS.join(', ')}; got ${formats.join(' and ')}`,
    );
  }
  const format = formats[0] as MlflowFormat;
  const value = body[format];
  let decoded: DecodedRows;
  switch (format) {
    case 'dataframe_split':
      decoded = decodeSplit(value, contract);
      break;
    case 'dataframe_records':
      decoded = { rows: objectRows(value, 'dataframe_records'), source: { field: format, layout: 'rows' } };
      break;
    case 'instances':
      decoded = { rows: listRows(value, 'instances', contract), source: { field: format, layout: 'rows' } };
      break;
    case 'inputs':
      decoded = isPlainObject(value)
        ? { rows: rowsFromColumns(value, 'inputs'), source: { field: format, layout: 'columns' } }
        : { rows: listRows(value, 'inputs', contract), source: { field: format, layout: 'rows' } };
      break;
  }
  const request: MlflowDecodedRequest = { ...decoded, format };
  const { params } = body;
  if (params !== undefined) {
    if (!isPlainObject(params))
      throw invalidArgument('params', `params must be an object, got ${describe(params)}`);
    request.params = params;
  }
  return request;
}

function decodeSplit(value: unknown, contract: ModelContract | undefined): DecodedRows {
  const field = 'dataframe_split';
  if (!isPlainObject(value)) {
    throw invalidArgument(field, `${field} must be an object {columns, data}, got ${describe(value)}`);
  }
  refuseUnknownKeys(value, ['columns', 'data', 'index'], `${field}.`, field);
  const { columns, data, index } = value;
  let names: string[];
  if (columns === undefined) {
    if (contract?.inputs.kind !== 'columns') {
      throw invalidArgument(`${field}.columns`, `${field}.columns is required: a list of column names`);
    }
    names = contract.inputs.fields.map((f) => f.name);
  } else {
    if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string')) {
      throw invalidArgument(`${field}.columns`, `${field}.columns must be a list of column names (strings)`);
    }
    names = columns as string[];
    const duplicate = names.find((name, k) => names.indexOf(name) !== k);
    if (duplicate !== undefined) {
      throw invalidArgument(`${field}.columns`, `${field}.columns names '${duplicate}' twice`);
    }
  }
  if (!Array.isArray(data)) {
    throw invalidArgument(`${field}.data`, `${field}.data must be a list of rows (lists of values)`);
  }
  if (index !== undefined && (!Array.isArray(index) || index.length !== data.length)) {
    throw invalidArgument(`${field}.index`, `${field}.index must be a list with one label per row of data`);
  }
  const rows = new Array<InputRow>(data.length);
  for (let i = 0; i < data.length; i++) {
    const values: unknown = data[i];
    if (!Array.isArray(values) || values.length !== names.length) {
      const got = Array.isArray(values) ? `${values.length} values` : describe(values);
      throw invalidArgument(
        `${field}.data[${i}]`,
        `${field}.data[${i}] must be a list of ${names.length} values (one per column), got ${got}`,
      );
    }
    const row: Record<string, unknown> = {};
    for (let c = 0; c < names.length; c++) setField(row, names[c] as string, values[c]);
    rows[i] = row;
  }
  return { rows, source: { field: `${field}.data`, layout: 'rows' } };
}

function objectRows(value: unknown, field: string): InputRow[] {
  if (!Array.isArray(value)) {
    throw invalidArgument(field, `${field} must be a list of row objects, got ${describe(value)}`);
  }
  for (let i = 0; i < value.length; i++) {
    if (!isPlainObject(value[i])) {
      throw invalidArgument(
        `${field}[${i}]`,
        `${field}[${i}] must be an object of columns, got ${describe(value[i])}`,
      );
    }
  }
  return value as InputRow[];
}

/** Rows of an `instances` (or list `inputs`) value: row objects, or bare values placed by the contract. */
function listRows(value: unknown, field: string, contract: ModelContract | undefined): InputRow[] {
  if (!Array.isArray(value)) {
    throw invalidArgument(field, `${field} must be a list, got ${describe(value)}`);
  }
  if (value.length === 0 || isPlainObject(value[0])) return objectRows(value, field);
  const inputs = contract?.inputs.fields ?? [];
  const only = inputs.length === 1 ? inputs[0]?.name : undefined;
  const positional =
    contract?.inputs.kind === 'columns' && inputs.length > 1 ? inputs.map((f) => f.name) : undefined;
  if (only === undefined && positional === undefined) {
    throw invalidArgument(
      `${field}[0]`,
      `${field}[0] must be an object of named inputs: a list of bare values needs a model with exactly one input ` +
        `(or a column contract, for lists of column values)`,
    );
  }
  const rows = new Array<InputRow>(value.length);
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (isPlainObject(item)) {
      throw invalidArgument(
        `${field}[${i}]`,
        `${field}[${i}] is an object but ${field}[0] is not; do not mix forms`,
      );
    }
    const row: Record<string, unknown> = {};
    if (only !== undefined) {
      setField(row, only, item);
    } else {
      const names = positional as string[];
      if (!Array.isArray(item) || item.length !== names.length) {
        const got = Array.isArray(item) ? `${item.length} values` : describe(item);
        throw invalidArgument(
          `${field}[${i}]`,
          `${field}[${i}] must be a list of ${names.length} values (${names.join(', ')}), got ${got}`,
        );
      }
      for (let c = 0; c < names.length; c++) setField(row, names[c] as string, item[c]);
    }
    rows[i] = row;
  }
  return rows;
}

/**
 * Builds `{"predictions": [...]}`. Like MLflow (a model returning a 1-D array or Series answers a
 * list of values; one returning a DataFrame answers a list of records), a model with exactly one
 * output answers a list of its values, and any other a list of row objects. "Exactly one output"
 * is the contract's outputs when given, else every row having the same single key.
 */
export function encodeMlflowResponse(
  predictions: readonly OutputRow[],
  contract?: ModelContract,
): MlflowPredictionsResponse {
  const single = singleOutputName(predictions, contract);
  if (single === undefined) return { predictions: [...predictions] };
  return { predictions: predictions.map((row) => row[single] ?? null) };
}

function singleOutputName(
  predictions: readonly OutputRow[],
  contract: ModelContract | undefined,
): string | undefined {
  if (contract && contract.outputs.fields.length > 0) {
    return contract.outputs.fields.length === 1 ? contract.outputs.fields[0]?.name : undefined;
  }
  let name: string | undefined;
  for (const row of predictions) {
    const keys = Object.keys(row);
    if (keys.length !== 1) return undefined;
    if (name === undefined) name = keys[0];
    else if (keys[0] !== name) return undefined;
  }
  return name;
}
