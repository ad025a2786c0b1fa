/** A version's contract as two schema tables: what callers send (inputs) and get back (outputs). */
import type { ReactNode } from 'react';
import type { ContractSchema, ModelContract } from '@slipway/contracts';
import { Empty } from '../components/status.js';
import { describeConstraint, formatShape } from './registry-view.js';
import './registry.css';

/** Where a contract came from, in words. */
const SOURCE_LABELS: Record<ModelContract['source'], string> = {
  'mlflow-signature': 'from the MLflow signature',
  onnx: 'inferred from the ONNX graph',
  declared: 'declared',
};

/** The contract's inputs and outputs, or a note that the version has none. */
export function ContractView({ contract }: { contract: ModelContract | undefined }): ReactNode {
  if (contract === undefined) {
    return (
      <Empty>
        <p>This version has no contract: its inputs and outputs are not checked.</p>
      </Empty>
    );
  }
  return (
    <div className="contract" aria-label="Contract">
      <p className="subtle">Contract {SOURCE_LABELS[contract.source]}.</p>
      <SchemaTable title="Inputs" schema={contract.inputs} />
      <SchemaTable title="Outputs" schema={contract.outputs} />
    </div>
  );
}

function SchemaTable({ title, schema }: { title: string; schema: ContractSchema }): ReactNode {
  const hasShapes = schema.fields.some((f) => f.shape !== undefined);
  return (
    <table className="data-table schema-table" aria-label={`${title} schema`}>
      <caption>
        {title} <span className="subtle">({schema.kind})</span>
      </caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Type</th>
          {hasShapes ? <th scope="col">Shape</th> : null}
          <th scope="col">Required</th>
          <th scope="col">Allowed values</th>
          <th scope="col">Meaning</th>
        </tr>
      </thead>
      <tbody>
        {schema.fields.length === 0 ? (
          <tr>
            <td colSpan={hasShapes ? 6 : 5} className="subtle">
              No fields.
            </td>
          </tr>
        ) : (
          schema.fields.map((f) => (
            <tr key={f.name}>
              <th scope="row" className="mono">
                {f.name}
              </th>
              <td className="mono">{f.type}</td>
              {hasShapes ? <td className="mono">{formatShape(f.shape)}</td> : null}
              <td>{f.nullable ? 'optional' : 'required'}</td>
              <td>{describeConstraint(f)}</td>
              <td>{[f.meaning, f.description].filter((s) => s !== undefined && s !== '').join(' — ')}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}
