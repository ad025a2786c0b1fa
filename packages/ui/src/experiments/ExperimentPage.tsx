/**
 * An experiment's runs: the MLflow filter (run on the server), sorting and the column choice (done
 * in the browser over the loaded runs). Filter and sort live in the URL, so a view can be linked.
 */
import { useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { client } from '../api.js';
import { MAX_COMPARED, MIN_COMPARED, compareUrl } from '../compare/compare-data.js';
import { Empty, ErrorMessage, Loading } from '../components/status.js';
import { formatTime } from '../format.js';
import { ColumnChooser } from '../runs/ColumnChooser.js';
import {
  allColumns,
  defaultColumnIds,
  formatSort,
  keysOf,
  parseSort,
  rowsOf,
  sortRows,
  visibleColumns,
} from '../runs/columns.js';
import { RunsTable } from '../runs/RunsTable.js';
import { MAX_LOADED_RUNS, useRuns } from '../runs/use-runs.js';
import { useAsync } from '../use-async.js';

const FILTER_EXAMPLE = "metrics.rmse < 0.5 AND params.model = 'gbm'";

/** The page at `/experiments/:experimentId`. */
export function ExperimentPage(): ReactNode {
  const { experimentId = '' } = useParams();
  const experiment = useAsync(() => client.experiments.get(experimentId), [experimentId]);
  return (
    <section className="page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to="/experiments">Experiments</Link> <span aria-hidden="true">/</span>{' '}
        <span>{experiment.status === 'ok' ? experiment.data.name : experimentId}</span>
      </nav>
      {experiment.status === 'loading' ? <Loading what="the experiment" /> : null}
      {experiment.status === 'error' ? (
        <ErrorMessage error={experiment.error} action="Could not load the experiment" />
      ) : null}
      {experiment.status === 'ok' ? (
        <header className="page-header">
          <h1>{experiment.data.name}</h1>
          <p className="subtle">
            Experiment {experiment.data.experimentId} · created {formatTime(experiment.data.creationTime)}
          </p>
        </header>
      ) : null}
      {/* The runs load alongside the experiment, not after it: one round trip less before the rows. */}
      {experiment.status === 'error' ? null : <Runs experimentId={experimentId} />}
    </section>
  );
}

function Runs({ experimentId }: { experimentId: string }): ReactNode {
  const [params, setParams] = useSearchParams();
  const filter = params.get('filter') ?? '';
  const sort = parseSort(params.get('sort'));
  const state = useRuns(experimentId, filter);
  const rows = useMemo(() => rowsOf(state.runs), [state.runs]);
  const keys = useMemo(() => keysOf(rows), [rows]);
  const columns = useMemo(() => allColumns(keys), [keys]);
  const [stored, setStored] = useState(() => loadColumnChoice(experimentId));
  const [selected, setSelected] = useState<readonly string[]>([]);
  const chosen = useMemo(() => stored ?? new Set(defaultColumnIds(keys)), [stored, keys]);
  const shown = useMemo(() => visibleColumns(columns, chosen), [columns, chosen]);
  const sortColumn = sort === undefined ? undefined : columns.find((c) => c.id === sort.column);
  const descending = sort?.descending ?? false;
  const sorted = useMemo(
    () => (sortColumn === undefined ? rows : sortRows(rows, sortColumn, descending)),
    [rows, sortColumn, descending],
  );

  const update = (changes: Record<string, string | undefined>): void => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined || value === '') next.delete(key);
      else next.set(key, value);
    }
    setParams(next);
  };
  const onSort = (column: string): void => {
    const descending = sort?.column === column ? !sort.descending : false;
    update({ sort: formatSort({ column, descending }) });
  };
  const choose = (next: Set<string>): void => {
    setStored(next);
    saveColumnChoice(experimentId, next);
  };

  // Ticked runs, in the order they were ticked (the compare page keeps it, and so the colors).
  const selection = useMemo(
    () => ({
      selected: new Set(selected),
      full: selected.length >= MAX_COMPARED,
      onToggle: (runId: string) =>
        setSelected((ids) => (ids.includes(runId) ? ids.filter((id) => id !== runId) : [...ids, runId])),
    }),
    [selected],
  );

  return (
    <>
      <div className="toolbar">
        <FilterForm key={filter} filter={filter} onApply={(f) => update({ filter: f })} />
        <CompareButton selected={selected} onClear={() => setSelected([])} />
        <ColumnChooser columns={columns} chosen={chosen} onChange={choose} />
      </div>
      <RunCount state={state} filter={filter} />
      {state.error === undefined ? null : (
        <ErrorMessage error={state.error} action="Could not search the runs" />
      )}
      {state.loading ? <Loading what="runs" /> : null}
      {!state.loading && state.error === undefined && rows.length === 0 ? (
        <Empty>
          {filter === '' ? (
            <p>This experiment has no runs yet. Log one with the SDK, the CLI or an MLflow client.</p>
          ) : (
            <p>
              No run matches <code>{filter}</code>.
            </p>
          )}
        </Empty>
      ) : null}
      {rows.length > 0 ? (
        <RunsTable rows={sorted} columns={shown} sort={sort} onSort={onSort} selection={selection} />
      ) : null}
    </>
  );
}

/** Opens the compare page for the ticked runs; says how many more are needed until there are enough. */
function CompareButton({ selected, onClear }: { selected: readonly string[]; onClear(): void }): ReactNode {
  const navigate = useNavigate();
  const enough = selected.length >= MIN_COMPARED;
  return (
    <div className="compare-selection">
      <button
        type="button"
        disabled={!enough}
        title={enough ? undefined : `Tick ${MIN_COMPARED} to ${MAX_COMPARED} runs to compare them`}
        onClick={() => navigate(compareUrl(selected))}
      >
        Compare{selected.length === 0 ? '' : ` (${selected.length})`}
      </button>
      {selected.length === 0 ? null : (
        <button type="button" className="link-button" onClick={onClear}>
          Clear
        </button>
      )}
    </div>
  );
}

function FilterForm({ filter, onApply }: { filter: string; onApply(filter: string): void }): ReactNode {
  const [text, setText] = useState(filter);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    onApply(text.trim());
  };
  return (
    <form className="filter-form" role="search" onSubmit={submit}>
      <label htmlFor="run-filter">Filter</label>
      <input
        id="run-filter"
        name="filter"
        type="search"
        spellCheck={false}
        placeholder={FILTER_EXAMPLE}
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <button type="submit">Apply</button>
      {filter === '' ? null : (
        <button type="button" onClick={() => onApply('')}>
          Clear
        </button>
      )}
    </form>
  );
}

function RunCount({ state, filter }: { state: ReturnType<typeof useRuns>; filter: string }): ReactNode {
  if (state.loading) return null;
  const n = state.runs.length.toLocaleString();
  const label = state.complete ? `${n} run${state.runs.length === 1 ? '' : 's'}` : `${n} runs, loading more…`;
  return (
    <p className="run-count" data-complete={state.complete} data-count={state.runs.length} aria-live="polite">
      {label}
      {filter === '' ? '' : ' matching the filter'}
      {state.truncated
        ? ` (the first ${MAX_LOADED_RUNS.toLocaleString()}: narrow the filter to see the rest)`
        : ''}
    </p>
  );
}

const columnKey = (experimentId: string): string => `slipway.runs.columns.${experimentId}`;

/** The columns chosen earlier for this experiment in this browser, if any. */
function loadColumnChoice(experimentId: string): Set<string> | undefined {
  try {
    const raw = window.localStorage.getItem(columnKey(experimentId));
    const parsed: unknown = raw === null ? undefined : JSON.parse(raw);
    return Array.isArray(parsed)
      ? new Set(parsed.filter((x): x is string => typeof x === 'string'))
      : undefined;
  } catch {
    return undefined;
  }
}

function saveColumnChoice(experimentId: string, chosen: ReadonlySet<string>): void {
  try {
    window.localStorage.setItem(columnKey(experimentId), JSON.stringify([...chosen]));
  } catch {
    // Storage can be full or disabled; the choice then lasts only for this page view.
  }
}
