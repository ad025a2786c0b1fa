/** A table of monitor statistics: column, name, value, threshold and verdict, flagged rows marked. */
import type { ReactNode } from 'react';
import type { MonitorStatistic } from '@slipway/contracts';
import { formatNumber } from '../format.js';

/** Statistics with their values, thresholds and verdicts. */
export function StatisticTable({ statistics }: { statistics: readonly MonitorStatistic[] }): ReactNode {
  return (
    <table className="data-table checks-table">
      <thead>
        <tr>
          <th scope="col">Column</th>
          <th scope="col">Statistic</th>
          <th scope="col" className="num">
            Value
          </th>
          <th scope="col" className="num">
            Threshold
          </th>
          <th scope="col">Verdict</th>
        </tr>
      </thead>
      <tbody>
        {statistics.map((s, i) => (
          <tr key={i} className={s.flagged ? 'check-flagged' : undefined}>
            <td>{s.column ?? <span className="subtle">dataset</span>}</td>
            <td className="mono">{s.name}</td>
            <td className="num">{formatNumber(s.value)}</td>
            <td className="num">{s.threshold === undefined ? '—' : formatNumber(s.threshold)}</td>
            <td>
              {s.flagged ? (
                <strong className="verdict-bad">flagged</strong>
              ) : (
                <span className="verdict-ok">ok</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
