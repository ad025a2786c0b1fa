/**
 * The drift overview: one row per column, one cell per monitor run (oldest left), coloured by the
 * chosen figure. Every row and cell links to the column's page at that run.
 */
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { formatNumber, formatTime } from '../format.js';
import { heatColor, largestFigure, type HeatFigure, type HeatMap } from './drift-view.js';

/** Up to this many runs a cell prints its figure; beyond, only its colour (the figure is in its tooltip). */
const TEXT_UP_TO = 12;

/** The heat map; `columnHref` gives the column page's address for a run. */
export function DriftHeatMap(props: {
  map: HeatMap;
  figure: HeatFigure;
  columnHref(column: string, runId?: string): string;
}): ReactNode {
  const { map, figure, columnHref } = props;
  const largest = largestFigure(map);
  const withText = map.runs.length <= TEXT_UP_TO;
  return (
    <div className="heatmap-scroll">
      <table className="heatmap" data-columns={map.columns.length} data-runs={map.runs.length}>
        <thead>
          <tr>
            <th scope="col">Column</th>
            {map.runs.map((run) => (
              <th
                key={run.id}
                scope="col"
                className="heatmap-time"
                title={`window ${formatTime(run.from)} – ${formatTime(run.to)}`}
              >
                {withText ? formatTime(run.to).slice(11) : ''}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {map.columns.map((column) => (
            <tr key={column}>
              <th scope="row">
                <Link to={columnHref(column)}>{column}</Link>
              </th>
              {(map.cells[column] ?? []).map((cell, i) => {
                const run = map.runs[i]!;
                const text = cell?.figure === undefined ? 'n/a' : cellText(cell.figure, figure);
                const label = `${column} at ${formatTime(run.to)}: ${cell === undefined ? 'not compared' : `${cell.method} ${text}${cell.flagged ? ', drifted' : ''}`}`;
                return (
                  <td
                    key={run.id}
                    className={cell?.flagged ? 'heat-cell heat-drifted' : 'heat-cell'}
                    style={{ background: heatColor(cell, figure, largest) }}
                    data-flagged={cell?.flagged === true}
                  >
                    {cell === undefined ? null : (
                      <Link to={columnHref(column, run.id)} aria-label={label} title={label}>
                        {withText ? text : '\u00a0'}
                      </Link>
                    )}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function cellText(value: number, figure: HeatFigure): string {
  if (figure === 'drifted') return value === 1 ? 'yes' : 'no';
  if (figure === 'pValue' && value < 1e-4) return value === 0 ? '0' : value.toExponential(0);
  return formatNumber(Number(value.toPrecision(3)));
}
