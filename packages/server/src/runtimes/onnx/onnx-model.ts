/**
 * The ONNX runtime's LoadedModel: one onnxruntime session per loaded model, created at load and
 * released by `close`. Each `predict` packs all rows into one batch (one tensor per graph input,
 * rows along dim 0), runs the session once and splits every output back per row. The row ↔ tensor
 * rules live in `onnx-feeds.ts` and docs/model-format.md.
 */
import type * as OrtModule from 'onnxruntime-node';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { invalidArgument, SlipwayError, type ContractField, type ModelContract } from '@slipway/contracts';
import type { ColumnBatch, ColumnOutputs, InputRow, LoadedModel, OutputRow } from '../runtime.js';
import {
  buildColumnFeeds,
  buildFeeds,
  columnOutput,
  feedsFromColumns,
  planFeeds,
  splitOutput,
  type FeedPlan,
  type FeedTensor,
  type GraphTensor,
} from './onnx-feeds.js';
import { onnxTensorType } from './onnx-inspect.js';

type Ort = typeof OrtModule;

/** Options of `loadOnnxModel`. */
export interface OnnxLoadOptions {
  /** The request field load errors name (e.g. `source`); `model` when absent. */
  field?: string;
}

/**
 * Loads `bytes` as an ONNX model fed from rows as `contract` describes (the graph's own inputs
 * when absent). A file onnxruntime cannot load, or a contract the graph cannot be fed by, is
 * refused as INVALID_ARGUMENT naming `options.field`.
 */
export async function loadOnnxModel(
  bytes: Uint8Array,
  contract?: ModelContract,
  options: OnnxLoadOptions = {},
): Promise<LoadedModel> {
  const field = options.field ?? 'model';
  // Lazy: the native binding is only loaded by processes that actually touch ONNX models.
  const ort = await import('onnxruntime-node');
  const session = await createSession(ort, bytes, field);
  try {
    // Read from this session rather than inspectOnnx, which would load the model a second time.
    const inputs = tensorValues(session.inputMetadata, field, 'input');
    const plans = planFeeds(inputs, contract, field);
    const outputs = session.outputMetadata.filter((meta) => meta.isTensor).map((meta) => meta.name);
    if (outputs.length === 0) throw invalidArgument(field, 'The ONNX graph has no tensor outputs');
    return new OnnxModel(ort, session, plans, outputs, contract ?? graphContract(session));
  } catch (error) {
    await session.release();
    throw error;
  }
}

async function createSession(ort: Ort, bytes: Uint8Array, field: string): Promise<InferenceSession> {
  if (bytes.length === 0) throw invalidArgument(field, 'Not a valid ONNX model: the file is empty');
  try {
    return await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (error) {
    throw invalidArgument(field, `Not a valid ONNX model: ${errorMessage(error)}`);
  }
}

function tensorValues(
  metadata: readonly InferenceSession.ValueMetadata[],
  field: string,
  side: string,
): GraphTensor[] {
  return metadata.map((meta) => {
    if (!meta.isTensor) throw invalidArgument(field, `ONNX ${side} '${meta.name}' is not a tensor`);
    return { name: meta.name, type: meta.type, shape: meta.shape.map(dimension) };
  });
}

function dimension(dim: number | string): number {
  return typeof dim === 'number' && dim >= 0 ? dim : -1;
}

// Without a contract the graph is the contract, described as inspectOnnx describes it.
function graphContract(session: InferenceSession): ModelContract {
  return {
    inputs: { kind: 'tensors', fields: session.inputMetadata.map(graphField) },
    outputs: { kind: 'tensors', fields: session.outputMetadata.map(graphField) },
    source: 'onnx',
  };
}

function graphField(meta: InferenceSession.ValueMetadata): ContractField {
  if (!meta.isTensor) return { name: meta.name, type: 'object', nullable: false };
  return {
    name: meta.name,
    type: onnxTensorType(meta.type),
    shape: meta.shape.map(dimension),
    nullable: false,
  };
}

class OnnxModel implements LoadedModel {
  private closed = false;
  // Runs still in flight when close is called finish before the session is released under them.
  private readonly running = new Set<Promise<unknown>>();
  /** The output names onnxruntime is asked for (its own array, built once). */
  private readonly fetches: string[];
  /** Present only when every graph input is fed from scalar columns (see `feedsFromColumns`). */
  readonly predictColumns?: (batch: ColumnBatch) => Promise<ColumnOutputs>;

  constructor(
    private readonly ort: Ort,
    private readonly session: InferenceSession,
    private readonly plans: readonly FeedPlan[],
    private readonly outputs: readonly string[],
    readonly contract: ModelContract,
  ) {
    this.fetches = [...outputs];
    if (feedsFromColumns(plans)) this.predictColumns = (batch) => this.predictFromColumns(batch);
  }

  async predict(rows: readonly InputRow[]): Promise<OutputRow[]> {
    if (this.closed) throw new SlipwayError('FAILED_PRECONDITION', 'The ONNX model is closed');
    if (rows.length === 0) return [];
    const feeds = buildFeeds(this.plans, rows);
    const results = await this.run(feeds);
    const names = this.outputs;
    const columns = names.map((name) => splitOutput(name, output(results, name), rows.length));
    const outputs = new Array<OutputRow>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row: Record<string, unknown> = {};
      for (let o = 0; o < names.length; o++) ownField(row, names[o] as string, (columns[o] as unknown[])[i]);
      outputs[i] = row;
    }
    return outputs;
  }

  private async predictFromColumns(batch: ColumnBatch): Promise<ColumnOutputs> {
    if (this.closed) throw new SlipwayError('FAILED_PRECONDITION', 'The ONNX model is closed');
    const outputs: ColumnOutputs = {};
    if (batch.length === 0) return outputs;
    const feeds = buildColumnFeeds(this.plans, batch);
    // A value the writers refuse: the row path throws the exact refusal (naming rows[i].field).
    if (feeds === undefined) return columnsOf(this.outputs, await this.predict(rowsOf(batch)));
    const results = await this.run(feeds);
    for (const name of this.outputs)
      ownField(outputs, name, columnOutput(name, output(results, name), batch.length));
    return outputs;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.running]);
    await this.session.release();
  }

  private async run(feeds: ReadonlyMap<string, FeedTensor>): Promise<InferenceSession.ReturnType> {
    const tensors: Record<string, Tensor> = {};
    for (const [name, feed] of feeds) ownField(tensors, name, toTensor(this.ort, feed));
    const run = this.session.run(tensors, this.fetches);
    this.running.add(run);
    try {
      return await run;
    } catch (error) {
      // Every value was checked already; what onnxruntime still refuses is the batch's shape.
      throw invalidArgument('rows', `onnxruntime could not run these rows: ${errorMessage(error)}`);
    } finally {
      this.running.delete(run);
    }
  }
}

/** The batch as row objects (keys in column order), for the refusal path only. */
function rowsOf(batch: ColumnBatch): InputRow[] {
  const names = Object.keys(batch.columns);
  return Array.from({ length: batch.length }, (_, i) => {
    const row: Record<string, unknown> = {};
    for (const name of names) ownField(row, name, (batch.columns[name] as ArrayLike<unknown>)[i]);
    return row;
  });
}

/** Output rows as width-0 columns. */
function columnsOf(names: readonly string[], rows: readonly OutputRow[]): ColumnOutputs {
  const outputs: ColumnOutputs = {};
  for (const name of names) ownField(outputs, name, { values: rows.map((row) => row[name]), width: 0 });
  return outputs;
}

/** Sets an own enumerable property, as `Object.fromEntries` does, even for a key named `__proto__`. */
function ownField(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

function output(results: InferenceSession.ReturnType, name: string): Tensor {
  const tensor = results[name];
  if (tensor === undefined) throw new SlipwayError('INTERNAL', `onnxruntime returned no output '${name}'`);
  return tensor;
}

// The branches look alike but each narrows `feed` to one Tensor constructor overload.
function toTensor(ort: Ort, feed: FeedTensor): Tensor {
  switch (feed.type) {
    case 'string':
      return new ort.Tensor(feed.type, feed.data, feed.dims);
    case 'bool':
      return new ort.Tensor(feed.type, feed.data, feed.dims);
    case 'int64':
    case 'uint64':
      return new ort.Tensor(feed.type, feed.data, feed.dims);
    default:
      return new ort.Tensor(feed.type, feed.data, feed.dims);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
