/**
 * The input contract a baseline fitted from a dataset declares: every column except the label,
 * typed as the dataset reader typed it, so serving checks callers against what the fit saw.
 */
import { invalidArgument, type ContractField, type ModelContract } from '@slipway/contracts';
import type { DatasetColumn } from '../../evaluation/dataset-reader.js';

/** A declared contract whose inputs are `columns` minus `labelColumn` and whose outputs are `outputs`. */
export function datasetContract(
  columns: DatasetColumn[],
  labelColumn: string,
  outputs: ContractField[],
): ModelContract {
  if (!columns.some((column) => column.name === labelColumn)) {
    throw invalidArgument(
      'labelColumn',
      `Label column '${labelColumn}' is not a column of the dataset (columns: ${columns.map((c) => c.name).join(', ')})`,
    );
  }
  const inputs = columns
    .filter((column) => column.name !== labelColumn)
    .map(({ name, type, nullable }): ContractField => ({ name, type, nullable }));
  return {
    source: 'declared',
    inputs: { kind: 'columns', fields: inputs },
    outputs: { kind: 'columns', fields: outputs.map((field) => ({ ...field })) },
  };
}
