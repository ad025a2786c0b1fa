/**
 * Class bookkeeping for classification evaluation: labels become small integer codes once, so every
 * metric runs on Int32Arrays. Classes are identified by their string form because probability maps
 * have string keys, so `1` and `"1"` are the same class.
 */
import type { ClassValue } from './evaluation-types.js';

/** Assigns codes to classes in order of first appearance. */
export class ClassIndex {
  private readonly codes = new Map<string, number>();
  /** Class values by code, as first seen (the label column's values are registered first). */
  readonly values: ClassValue[] = [];

  /** The code of `value`, registering it when new. */
  code(value: ClassValue): number {
    const key = String(value);
    let c = this.codes.get(key);
    if (c === undefined) {
      c = this.values.length;
      this.codes.set(key, c);
      this.values.push(value);
    }
    return c;
  }

  /** The code of a class already registered, by its string form. */
  find(key: string): number | undefined {
    return this.codes.get(key);
  }

  /** Number of classes registered. */
  get size(): number {
    return this.values.length;
  }
}

/** Orders classes like the stats functions: numbers numerically, before strings and booleans by string form. */
export function compareClasses(a: ClassValue, b: ClassValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The sorted classes and, per first-seen code, its sorted code. */
export function sortedCodes(index: ClassIndex): { classes: ClassValue[]; remap: Int32Array } {
  const order = index.values
    .map((_, c) => c)
    .sort((a, b) => compareClasses(index.values[a]!, index.values[b]!));
  const remap = new Int32Array(order.length);
  order.forEach((oldCode, newCode) => (remap[oldCode] = newCode));
  return { classes: order.map((c) => index.values[c]!), remap };
}

/** True for values that can be class labels (finite numbers, strings, booleans). */
export function isClassValue(value: unknown): value is ClassValue {
  return (
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}
