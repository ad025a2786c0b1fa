/**
 * The runs table: a virtualized grid (only the rows in view are in the DOM, so 10,000 runs scroll
 * like 10), sortable by any column from its header button.
 */
import { useRef, type ReactNode } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { Link } from 'react-router';
import { formatDuration, formatNumber, formatTime } from '../format.js';
import type { Column, RunRow, SortSpec } from './columns.js';
import './selection.css';

/** Height of one row in pixels (fixed, so the virtualizer needs no measuring). */
const ROW_HEIGHT = 32;

/** What the table shows and how it is sorted. */
export interface RunsTableProps {
  rows: readonly RunRow[];
  columns: readonly Column[];
  sort: SortSpec | undefined;
  onSort(column: string): void;
  /** When given, each run's name gets a checkbox (to pick runs to compare). */
  selection?: RowSelection;
}

/** Which runs are ticked, and how ticking one is reported. */
export interface RowSelection {
  selected: ReadonlySet<string>;
  /** True when no further run may be ticked. */
  full: boolean;
  onToggle(runId: string): void;
}

/** The grid of runs; `aria-rowcount` gives assistive tech the full count the DOM does not hold. */
export function RunsTable({ rows, columns, sort, onSort, selection }: RunsTableProps): ReactNode {
  const scroller = useRef<HTMLDivElement>(null);
  // The app does not use the React Compiler, whose memoizing this hook's mutable result would defeat.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const template = columns.map((c) => `${c.width}px`).join(' ');
  const width = columns.reduce((sum, c) => sum + c.width, 0);
  return (
    <div
      ref={scroller}
      className="runs-scroll"
      role="table"
      aria-label="Runs"
      aria-rowcount={rows.length + 1}
      data-rows={rows.length}
      tabIndex={0}
    >
      <div className="runs-header" role="row" style={{ gridTemplateColumns: template, width }}>
        {columns.map((column) => (
          <HeaderCell key={column.id} column={column} sort={sort} onSort={onSort} />
        ))}
      </div>
      <div className="runs-body" style={{ height: virtualizer.getTotalSize(), width }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = rows[item.index];
          if (row === undefined) return null;
          return (
            <div
              key={row.run.info.runId}
              className={item.index % 2 === 0 ? 'runs-row' : 'runs-row runs-row-odd'}
              role="row"
              aria-rowindex={item.index + 2}
              style={{
                gridTemplateColumns: template,
                transform: `translateY(${item.start}px)`,
                height: ROW_HEIGHT,
              }}
            >
              {columns.map((column) => (
                <div key={column.id} role="cell" className={`runs-cell runs-cell-${column.kind}`}>
                  <CellValue row={row} column={column} selection={selection} />
                </div>
              ))}
            </div>
          );
        })}
      </div>
    </div>
  );
}

function HeaderCell(props: {
  column: Column;
  sort: SortSpec | undefined;
  onSort(column: string): void;
}): ReactNode {
  const { column, sort, onSort } = props;
  const active = sort?.column === column.id;
  const direction = active ? (sort.descending ? 'descending' : 'ascending') : 'none';
  return (
    <div role="columnheader" aria-sort={direction} className={`runs-cell runs-head runs-cell-${column.kind}`}>
      <button
        type="button"
        className="sort-button"
        title={`Sort by ${column.kind === 'attribute' ? column.label : column.id}`}
        onClick={() => onSort(column.id)}
      >
        {column.kind === 'attribute' ? null : (
          <span className="kind-badge" aria-hidden="true">
            {column.kind === 'metric' ? 'm' : 'p'}
          </span>
        )}
        <span className="head-label">{column.label}</span>
        <span aria-hidden="true" className="sort-mark">
          {active ? (sort.descending ? '▼' : '▲') : ''}
        </span>
      </button>
    </div>
  );
}

function CellValue(props: { row: RunRow; column: Column; selection: RowSelection | undefined }): ReactNode {
  const { row, column, selection } = props;
  const info = row.run.info;
  switch (column.id) {
    case 'name': {
      const link = (
        <Link to={`/runs/${info.runId}`} title={info.runName}>
          {info.runName || info.runId}
        </Link>
      );
      if (selection === undefined) return link;
      const checked = selection.selected.has(info.runId);
      return (
        <>
          <input
            type="checkbox"
            className="row-select"
            aria-label={`Select ${info.runName || info.runId}`}
            checked={checked}
            disabled={!checked && selection.full}
            onChange={() => selection.onToggle(info.runId)}
          />
          {link}
        </>
      );
    }
    case 'status':
      return <span className={`status status-${info.status.toLowerCase()}`}>{info.status}</span>;
    case 'start':
      return formatTime(info.startTime);
    case 'duration':
      return formatDuration(row.durationMs);
    default: {
      const value = column.value(row);
      return typeof value === 'number' ? formatNumber(value) : (value ?? '');
    }
  }
}
