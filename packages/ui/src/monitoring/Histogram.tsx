/**
 * One side of a column's distribution as an SVG bar chart: each bin's share of that side's values.
 * The reference and current charts share `maxShare`, so their bars compare at a glance.
 */
import type { ReactNode } from 'react';
import type { HistogramBin } from './drift-view.js';

/** What one histogram draws. */
export interface HistogramProps {
  title: string;
  side: 'reference' | 'current';
  bins: readonly HistogramBin[];
  total: number;
  /** The largest share on either side: the top of both charts' y axis. */
  maxShare: number;
}

const WIDTH = 560;
const HEIGHT = 220;
const PAD = { left: 44, right: 8, top: 8, bottom: 40 };

/** A labelled SVG bar chart (each bar's exact share is in its tooltip). */
export function Histogram({ title, side, bins, total, maxShare }: HistogramProps): ReactNode {
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const top = maxShare > 0 ? maxShare : 1;
  const step = bins.length === 0 ? 0 : plotW / bins.length;
  // About six labels fit under the bars; the rest are in the tooltips.
  const labelEvery = Math.max(1, Math.ceil(bins.length / 6));
  return (
    <figure className={`histogram histogram-${side}`} aria-label={title}>
      <figcaption className="chart-title">
        <span className="chart-key">{title}</span>
        <span className="chart-summary">{total.toLocaleString()} values</span>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${title}: ${bins.length} bins`}>
        {[0, 0.5, 1].map((t) => {
          const y = PAD.top + plotH * (1 - t);
          return (
            <g key={t}>
              <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y} y2={y} className="histogram-grid" />
              <text x={PAD.left - 6} y={y + 4} textAnchor="end" className="histogram-tick">
                {Math.round(top * t * 100)}%
              </text>
            </g>
          );
        })}
        {bins.map((bin, i) => {
          const share = side === 'reference' ? bin.reference : bin.current;
          const h = (share / top) * plotH;
          const x = PAD.left + i * step;
          return (
            <g key={bin.label}>
              <rect
                className="histogram-bar"
                x={x + 1}
                y={PAD.top + plotH - h}
                width={Math.max(1, step - 2)}
                height={h}
              >
                <title>{`${bin.label}: ${(share * 100).toFixed(1)}%`}</title>
              </rect>
              {labelled(i, bins.length, labelEvery) ? (
                <text
                  x={x + step / 2}
                  y={HEIGHT - PAD.bottom + 14}
                  textAnchor="middle"
                  className="histogram-tick"
                >
                  {shortLabel(bin.label)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

/** The last bin is labelled (it is where shifted values pile up), and every `every`-th one not crowding it. */
function labelled(i: number, bins: number, every: number): boolean {
  return i === bins - 1 || (i % every === 0 && bins - 1 - i >= every / 2);
}

/** A bin label cut for the axis (`0.12 – 0.34` shows its lower edge). */
function shortLabel(label: string): string {
  const cut = label.includes(' – ') ? label.slice(0, label.indexOf(' – ')) : label;
  return cut.length > 10 ? `${cut.slice(0, 9)}…` : cut;
}
