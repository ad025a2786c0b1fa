/**
 * A model version's typed input/output contract: what callers must send and what they get back.
 * Read from an MLflow signature, inferred from an ONNX graph, or declared in a package manifest.
 */

/** Canonical value types of a contract field (MLflow column types and tensor dtypes map onto these). */
export const FIELD_TYPES = [
  'boolean',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'float16',
  'float32',
  'float64',
  'string',
  'binary',
  'datetime',
  'object',
] as const;

/** A contract field's value type. */
export type FieldType = (typeof FIELD_TYPES)[number];

/** Whether a schema describes named columns (tabular) or named tensors. */
export type SchemaKind = 'columns' | 'tensors';

/** Inclusive numeric bounds a field's values stay within. */
export interface ValueRange {
  min?: number;
  max?: number;
}

/** One named input or output. */
export interface ContractField {
  name: string;
  type: FieldType;
  /** Tensor shape; `-1` marks a dynamic dimension. Absent for scalar columns. */
  shape?: number[];
  /**
   * True when the field may be missing or null: an optional input callers may omit, or an output
   * readers must be ready to find absent.
   */
  nullable: boolean;
  /** The closed set of allowed values, when known (categorical features, class labels). */
  categories?: (string | number)[];
  /** Allowed numeric range, when known. */
  range?: ValueRange;
  /** What an output means (e.g. `probability of fraud`); a change is a breaking change for callers. */
  meaning?: string;
  description?: string;
}

/** An ordered list of fields of one kind. */
export interface ContractSchema {
  kind: SchemaKind;
  fields: ContractField[];
}

/** Where a contract came from. */
export type ContractSource = 'mlflow-signature' | 'onnx' | 'declared';

/** A model version's input/output contract. */
export interface ModelContract {
  inputs: ContractSchema;
  outputs: ContractSchema;
  source: ContractSource;
}

/** Schema-registry style compatibility modes between an old and a new contract. */
export const COMPATIBILITY_MODES = ['backward', 'forward', 'full'] as const;

/**
 * `backward`: the new version serves every caller of the old one; `forward`: the old version
 * serves callers written against the new one; `full`: both.
 */
export type CompatibilityMode = (typeof COMPATIBILITY_MODES)[number];

/** Kinds of difference the compatibility check reports. */
export const CONTRACT_CHANGE_KINDS = [
  'field-added',
  'field-removed',
  'field-renamed',
  'type-widened',
  'type-narrowed',
  'type-changed',
  'shape-changed',
  'became-required',
  'became-optional',
  'categories-added',
  'categories-removed',
  'range-widened',
  'range-narrowed',
  'meaning-changed',
  'kind-changed',
] as const;

/** A kind of contract difference. */
export type ContractChangeKind = (typeof CONTRACT_CHANGE_KINDS)[number];

/** One field-level difference between two contracts. */
export interface ContractChange {
  side: 'inputs' | 'outputs';
  /** The field's name in the old contract (the new name for an added field; `*` for `kind-changed`). */
  field: string;
  /** For `field-renamed`: the field's name in the new contract. */
  renamedTo?: string;
  kind: ContractChangeKind;
  /** True when the change breaks the compatibility mode that was checked. */
  breaking: boolean;
  /** A sentence a person can act on, naming the field and both values. */
  message: string;
}

/** The result of comparing two contracts in one mode. */
export interface CompatibilityReport {
  mode: CompatibilityMode;
  /** True when no change is breaking. */
  compatible: boolean;
  changes: ContractChange[];
}
