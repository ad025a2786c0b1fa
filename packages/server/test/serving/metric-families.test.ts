import { describe, expect, it } from 'vitest';
import {
  CounterFamily,
  GaugeFamily,
  HistogramFamily,
  renderFamilies,
} from '../../src/serving/metric-families.js';

describe('metric families', () => {
  it('renders cumulative histogram buckets, sum and count per label set', () => {
    const h = new HistogramFamily('t_seconds', 'Time.', ['endpoint'], [0.1, 1]);
    const a = h.child(['a']);
    a.observe(0.05);
    a.observe(0.1); // on a bound: counted in that bucket (le is inclusive)
    a.observe(5);
    h.child(['b']).observe(0.5);
    expect(h.child(['a'])).toBe(a);
    expect(h.render()).toBe(
      [
        '# HELP t_seconds Time.',
        '# TYPE t_seconds histogram',
        't_seconds_bucket{endpoint="a",le="0.1"} 2',
        't_seconds_bucket{endpoint="a",le="1"} 2',
        't_seconds_bucket{endpoint="a",le="+Inf"} 3',
        't_seconds_sum{endpoint="a"} 5.15',
        't_seconds_count{endpoint="a"} 3',
        't_seconds_bucket{endpoint="b",le="0.1"} 0',
        't_seconds_bucket{endpoint="b",le="1"} 1',
        't_seconds_bucket{endpoint="b",le="+Inf"} 1',
        't_seconds_sum{endpoint="b"} 0.5',
        't_seconds_count{endpoint="b"} 1',
        '',
      ].join('\n'),
    );
  });

  it('escapes label values and help text, one line per label set', () => {
    const c = new CounterFamily('t_total', 'Line one\nback\\slash', ['name', 'status']);
    c.child(['say "hi"\n\\', '200']).value += 2;
    c.child(['a', 'b']).value++;
    expect(c.render()).toContain('# HELP t_total Line one\\nback\\\\slash');
    expect(c.render()).toContain('t_total{name="say \\"hi\\"\\n\\\\",status="200"} 2');
    expect(c.render()).toContain('t_total{name="a",status="b"} 1');
  });

  it('reads unlabelled gauges at render time and renders families in order', () => {
    let pending = 3;
    const g = new GaugeFamily('t_pending', 'Pending.', [], () => pending);
    const first = renderFamilies([g]);
    pending = 7;
    expect(first).toContain('t_pending 3');
    expect(renderFamilies([g, new CounterFamily('t_other', 'Other.', [])])).toMatch(
      /t_pending 7\n# HELP t_other Other\.\n# TYPE t_other counter\n$/,
    );
  });

  it('refuses bucket bounds that do not ascend', () => {
    expect(() => new HistogramFamily('t', 'T.', [], [1, 1])).toThrow(/ascend/);
  });
});
