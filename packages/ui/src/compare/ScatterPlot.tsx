/**
 * A scatter of one metric's latest value against one param, one dot per run in the run's color. At
 * most 20 points, so plain SVG: each dot carries a title with its run and values.
 */
import type { ReactNode } from 'react';
import { formatNumber } from '../format.js';
import type { ComparedRun } from './CompareChart.js';
import { colorOf, niceTicks, scatterOf } from './compare-data.js';

/** What the scatter shows. */
export interface ScatterPlotProps {
  runs: readonly ComparedRun[];
  metricKey: string;
  paramKey: string;
}

const WIDTH = 640;
const HEIGHT = 300;
const MARGIN = { top: 12, right: 20, bottom: 44, left: 64 };

/** The SVG scatter, with a line saying which runs could not be placed. */
export function ScatterPlot({ runs, metricKey, paramKey }: ScatterPlotProps): ReactNode {
  const scatter = scatterOf(
    runs.map((r) => r.run),
    metricKey,
    paramKey,
  );
  const { points, categories } = scatter;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const xDomain: [number, number] =
    categories === undefined ? padded(Math.min(...xs), Math.max(...xs)) : [-0.5, categories.length - 0.5];
  const yDomain = padded(Math.min(...ys), Math.max(...ys));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (x: number): number => MARGIN.left + ((x - xDomain[0]) / (xDomain[1] - xDomain[0])) * plotW;
  const sy = (y: number): number =>
    MARGIN.top + plotH - ((y - yDomain[0]) / (yDomain[1] - yDomain[0])) * plotH;
  const xTicks =
    categories === undefined
      ? niceTicks(xDomain[0], xDomain[1], 6).map((t) => ({ at: t, label: formatNumber(t) }))
      : categories.map((c, i) => ({ at: i, label: c }));
  const yTicks = niceTicks(yDomain[0], yDomain[1], 5);
  const title = `${metricKey} against ${paramKey}`;
  return (
    <figure className="scatter" aria-label={`Scatter of ${title}`}>
      {points.length === 0 ? (
        <p className="subtle">
          No run has both {metricKey} and {paramKey}.
        </p>
      ) : (
        <svg
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          width={WIDTH}
          height={HEIGHT}
          role="img"
          aria-label={`${title}: ${points.length} runs`}
        >
          <rect x={MARGIN.left} y={MARGIN.top} width={plotW} height={plotH} className="scatter-frame" />
          {yTicks.map((t) => (
            <g key={`y${t}`} className="scatter-tick">
              <line x1={MARGIN.left} x2={MARGIN.left + plotW} y1={sy(t)} y2={sy(t)} />
              <text x={MARGIN.left - 6} y={sy(t)} textAnchor="end" dominantBaseline="middle">
                {formatNumber(t)}
              </text>
            </g>
          ))}
          {xTicks.map((t) => (
            <g key={`x${t.at}`} className="scatter-tick">
              <line x1={sx(t.at)} x2={sx(t.at)} y1={MARGIN.top} y2={MARGIN.top + plotH} />
              <text x={sx(t.at)} y={MARGIN.top + plotH + 16} textAnchor="middle">
                {t.label}
              </text>
            </g>
          ))}
          <text className="scatter-axis-label" x={MARGIN.left + plotW / 2} y={HEIGHT - 6} textAnchor="middle">
            {paramKey}
          </text>
          <text
            className="scatter-axis-label"
            transform={`translate(14 ${MARGIN.top + plotH / 2}) rotate(-90)`}
            textAnchor="middle"
          >
            {metricKey}
          </text>
          {points.map((p) => {
            const run = runs[p.run]!;
            return (
              <circle
                key={run.run.info.runId}
                className="scatter-point"
                cx={sx(p.x)}
                cy={sy(p.y)}
                r={6}
                fill={colorOf(run.index)}
              >
                <title>
                  {`${run.run.info.runName || run.run.info.runId}: ${paramKey} = ${p.param}, ${metricKey} = ${formatNumber(p.y)}`}
                </title>
              </circle>
            );
          })}
        </svg>
      )}
      {scatter.missing === 0 ? null : (
        <figcaption className="subtle">
          {scatter.missing} run{scatter.missing === 1 ? '' : 's'} without a finite {metricKey} or without{' '}
          {paramKey} left out.
        </figcaption>
      )}
    </figure>
  );
}

/** A domain around [min, max] with room at both ends, and a unit wide one around a single value. */
function padded(min: number, max: number): [number, number] {
  if (min === max) return [min - (Math.abs(min) || 1) * 0.5, max + (Math.abs(max) || 1) * 0.5];
  const room = (max - min) * 0.08;
  return [min - room, max + room];
}
