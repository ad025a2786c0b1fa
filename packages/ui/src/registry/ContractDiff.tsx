/**
 * The contract diff between two versions of a model: every added, removed or changed field, and
 * whether each breaks the chosen compatibility mode. The versions and mode live in the URL
 * (`from`, `to`, `mode`), so a diff is a deep link.
 */
import type { ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import { COMPATIBILITY_MODES, type CompatibilityMode, type ModelVersion } from '@slipway/contracts';
import { client } from '../api.js';
import { Empty, ErrorMessage, Loading } from '../components/status.js';
import { useAsync } from '../use-async.js';
import './registry.css';

/** What a mode promises about the two versions picked, shown next to the mode picker. */
function modeHint(mode: CompatibilityMode, from: string, to: string): string {
  if (mode === 'backward') return `v${to} must serve every caller of v${from}`;
  if (mode === 'forward') return `v${from} must serve callers written for v${to}`;
  return `each must serve the other's callers`;
}

/** The section comparing two versions' contracts; by default the selected version against the one before it. */
export function ContractDiffSection(props: {
  name: string;
  versions: readonly ModelVersion[];
  selected: string | undefined;
}): ReactNode {
  const [params, setParams] = useSearchParams();
  const numbers = props.versions.map((v) => v.version);
  const fallbackTo = props.selected ?? numbers[0] ?? '';
  const to = params.get('to') ?? fallbackTo;
  const from = params.get('from') ?? numbers.find((v) => Number(v) < Number(to)) ?? numbers.at(-1) ?? '';
  const modeParam = params.get('mode');
  const mode: CompatibilityMode = COMPATIBILITY_MODES.find((m) => m === modeParam) ?? 'backward';
  const set = (key: string, value: string): void => {
    const next = new URLSearchParams(params);
    next.set(key, value);
    setParams(next, { replace: true });
  };
  return (
    <section aria-labelledby="diff-heading" className="registry-section">
      <h2 id="diff-heading">Contract diff</h2>
      <div className="diff-controls">
        <label>
          From{' '}
          <select value={from} onChange={(e) => set('from', e.target.value)}>
            {numbers.map((v) => (
              <option key={v} value={v}>
                v{v}
              </option>
            ))}
          </select>
        </label>
        <label>
          To{' '}
          <select value={to} onChange={(e) => set('to', e.target.value)}>
            {numbers.map((v) => (
              <option key={v} value={v}>
                v{v}
              </option>
            ))}
          </select>
        </label>
        <label>
          Mode{' '}
          <select value={mode} onChange={(e) => set('mode', e.target.value)}>
            {COMPATIBILITY_MODES.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <span className="subtle">{modeHint(mode, from, to)}</span>
      </div>
      {from === to ? (
        <p className="subtle">Choose two different versions.</p>
      ) : (
        <DiffResult name={props.name} from={from} to={to} mode={mode} />
      )}
    </section>
  );
}

function DiffResult(props: { name: string; from: string; to: string; mode: CompatibilityMode }): ReactNode {
  const { name, from, to, mode } = props;
  const state = useAsync(() => client.models.diffContract(name, from, to, { mode }), [name, from, to, mode]);
  if (state.status === 'loading') return <Loading what="the contract diff" />;
  if (state.status === 'error')
    return <ErrorMessage error={state.error} action="Could not compare the contracts" />;
  const report = state.data;
  const breaking = report.changes.filter((c) => c.breaking).length;
  return (
    <div className="contract-diff" data-compatible={String(report.compatible)}>
      <p className={`verdict-line ${report.compatible ? 'verdict-pass' : 'verdict-fail'}`}>
        <strong>{report.compatible ? 'Compatible' : 'Breaking'}</strong> ({mode}): v{from} → v{to},{' '}
        {report.changes.length} {report.changes.length === 1 ? 'change' : 'changes'}
        {breaking === 0 ? '' : `, ${breaking} breaking`}
      </p>
      {report.changes.length === 0 ? (
        <Empty>
          <p>The two contracts are the same.</p>
        </Empty>
      ) : (
        <table className="data-table diff-table">
          <thead>
            <tr>
              <th scope="col">Side</th>
              <th scope="col">Field</th>
              <th scope="col">Change</th>
              <th scope="col">Effect</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {report.changes.map((c, i) => (
              <tr
                key={`${c.side}-${c.field}-${c.kind}-${i}`}
                className={c.breaking ? 'breaking-row' : undefined}
              >
                <td>{c.side}</td>
                <td className="mono">
                  {c.field}
                  {c.renamedTo === undefined ? null : ` → ${c.renamedTo}`}
                </td>
                <td>{c.kind.replaceAll('-', ' ')}</td>
                <td>
                  <span className={`effect ${c.breaking ? 'effect-breaking' : 'effect-compatible'}`}>
                    {c.breaking ? 'breaking' : 'compatible'}
                  </span>
                </td>
                <td>{c.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
