/**
 * Counters, gauges and histograms with labels, rendered in the Prometheus text format (0.0.4).
 * Built for the serving hot path: a caller looks up a labelled child once and then updates plain
 * numbers, where a general client hashes the label object on every observation.
 */

/** The content type of the Prometheus text exposition. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** One metric family: its children by label values, and its text exposition. */
interface Family<Child> {
  /** The child for these label values (in `labelNames` order), created on first use. */
  child(values: readonly string[]): Child;
  /** The family's `# HELP`, `# TYPE` and sample lines. */
  render(): string;
}

abstract class LabelledFamily<Child> implements Family<Child> {
  private readonly children = new Map<string, { values: readonly string[]; child: Child }>();

  constructor(
    protected readonly name: string,
    private readonly help: string,
    private readonly type: 'counter' | 'gauge' | 'histogram',
    protected readonly labelNames: readonly string[],
  ) {}

  child(values: readonly string[]): Child {
    // A NUL cannot appear in a label value that came from a name, so the key is unambiguous.
    const key = values.join('\u0000');
    let entry = this.children.get(key);
    if (entry === undefined) {
      entry = { values: [...values], child: this.create() };
      this.children.set(key, entry);
    }
    return entry.child;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const { values, child } of this.children.values()) this.samples(lines, values, child);
    return `${lines.join('\n')}\n`;
  }

  protected labels(values: readonly string[], extra = ''): string {
    const pairs = this.labelNames.map((label, i) => `${label}="${escapeLabel(values[i] ?? '')}"`);
    if (extra !== '') pairs.push(extra);
    return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
  }

  protected abstract create(): Child;
  protected abstract samples(lines: string[], values: readonly string[], child: Child): void;
}

/** A counter or gauge child: one number. */
export interface ValueChild {
  value: number;
}

/** A counter family (values only grow). */
export class CounterFamily extends LabelledFamily<ValueChild> {
  constructor(name: string, help: string, labelNames: readonly string[]) {
    super(name, help, 'counter', labelNames);
  }

  protected create(): ValueChild {
    return { value: 0 };
  }

  protected samples(lines: string[], values: readonly string[], child: ValueChild): void {
    lines.push(`${this.name}${this.labels(values)} ${formatNumber(child.value)}`);
  }
}

/** A gauge family; `read`, when given, sets the unlabelled value at render time. */
export class GaugeFamily extends LabelledFamily<ValueChild> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly read?: () => number,
  ) {
    super(name, help, 'gauge', labelNames);
  }

  override render(): string {
    if (this.read !== undefined) this.child([]).value = this.read();
    return super.render();
  }

  protected create(): ValueChild {
    return { value: 0 };
  }

  protected samples(lines: string[], values: readonly string[], child: ValueChild): void {
    lines.push(`${this.name}${this.labels(values)} ${formatNumber(child.value)}`);
  }
}

/** A histogram child: per-bucket (non-cumulative) counts, sum and count. */
export class HistogramChild {
  /** `counts[i]` observations fell in bucket i; the last slot is the +Inf bucket. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records one observation. */
  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

/** A histogram family with fixed upper bounds (ascending). */
export class HistogramFamily extends LabelledFamily<HistogramChild> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {
    super(name, help, 'histogram', labelNames);
    for (let i = 1; i < bounds.length; i++) {
      if (!((bounds[i] as number) > (bounds[i - 1] as number))) {
        throw new RangeError(`Histogram ${name}: bucket bounds must ascend`);
      }
    }
  }

  protected create(): HistogramChild {
    return new HistogramChild(this.bounds);
  }

  protected samples(lines: string[], values: readonly string[], child: HistogramChild): void {
    let cumulative = 0;
    for (let i = 0; i <= this.bounds.length; i++) {
      cumulative += child.counts[i] as number;
      const le = i < this.bounds.length ? formatNumber(this.bounds[i] as number) : '+Inf';
      lines.push(`${this.name}_bucket${this.labels(values, `le="${le}"`)} ${formatNumber(cumulative)}`);
    }
    lines.push(`${this.name}_sum${this.labels(values)} ${formatNumber(child.sum)}`);
    lines.push(`${this.name}_count${this.labels(values)} ${formatNumber(child.count)}`);
  }
}

/** Renders families one after another, as one exposition. */
export function renderFamilies(families: readonly Family<unknown>[]): string {
  return families.map((family) => family.render()).join('');
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** Label values escape backslash, double quote and newline (the text format's rule). */
function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** Help text escapes backslash and newline. */
function escapeHelp(value: string): string {
  return value.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}
