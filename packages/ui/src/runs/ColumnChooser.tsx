/** Picks which metric, param and attribute columns the runs table shows; a native disclosure, so it works from the keyboard. */
import { useState, type ReactNode } from 'react';
import type { Column } from './columns.js';

/** The chooser's input: every column, the chosen ids and how to change them. */
export interface ColumnChooserProps {
  columns: readonly Column[];
  chosen: ReadonlySet<string>;
  onChange(chosen: Set<string>): void;
}

/** A "Columns" button opening checkboxes grouped by kind, with a search over the keys. */
export function ColumnChooser({ columns, chosen, onChange }: ColumnChooserProps): ReactNode {
  const [query, setQuery] = useState('');
  const choosable = columns.filter((c) => c.id !== 'name');
  const matching = choosable.filter((c) => c.label.toLowerCase().includes(query.trim().toLowerCase()));
  const toggle = (id: string): void => {
    const next = new Set(chosen);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    onChange(next);
  };
  const shown = choosable.filter((c) => chosen.has(c.id)).length;
  return (
    <details className="column-chooser">
      <summary>
        Columns ({shown + 1} of {choosable.length + 1})
      </summary>
      <div className="chooser-panel">
        <input
          type="search"
          placeholder="Find a key"
          aria-label="Find a column"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
        <div className="chooser-actions">
          <button type="button" onClick={() => onChange(new Set([...chosen, ...matching.map((c) => c.id)]))}>
            Show {query ? 'matching' : 'all'}
          </button>
          <button type="button" onClick={() => onChange(without(chosen, matching))}>
            Hide {query ? 'matching' : 'all'}
          </button>
        </div>
        {(['attribute', 'metric', 'param'] as const).map((kind) => {
          const group = matching.filter((c) => c.kind === kind);
          if (group.length === 0) return null;
          return (
            <fieldset key={kind}>
              <legend>
                {kind === 'attribute' ? 'Attributes' : kind === 'metric' ? 'Metrics' : 'Params'}
              </legend>
              {group.map((c) => (
                <label key={c.id}>
                  <input type="checkbox" checked={chosen.has(c.id)} onChange={() => toggle(c.id)} />
                  {c.label}
                </label>
              ))}
            </fieldset>
          );
        })}
      </div>
    </details>
  );
}

function without(chosen: ReadonlySet<string>, columns: readonly Column[]): Set<string> {
  const next = new Set(chosen);
  for (const c of columns) next.delete(c.id);
  return next;
}
