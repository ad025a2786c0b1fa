/**
 * The artifacts section of the run page: the run's files as a tree whose folders list their
 * children when opened, and a preview of the chosen file. The chosen file is in the URL
 * (`?artifact=path`), and opening such a link opens the folders above it.
 */
import { useState, type ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import type { ArtifactInfo } from '@slipway/contracts';
import { client } from '../api.js';
import { Empty, ErrorMessage, Loading } from '../components/status.js';
import { useAsync } from '../use-async.js';
import { ArtifactPreview } from './ArtifactPreview.js';
import { ancestorsOf, baseName, formatBytes } from './artifact-preview.js';
import './artifacts.css';

/** What every level of the tree needs: the run, the chosen file and the open folders. */
interface TreeState {
  runId: string;
  selected: string | undefined;
  expanded: ReadonlySet<string>;
  toggle(path: string): void;
  select(path: string): void;
}

/** The artifacts browser of run `runId`. */
export function ArtifactsBrowser({ runId }: { runId: string }): ReactNode {
  const [params, setParams] = useSearchParams();
  const selected = params.get('artifact') || undefined;
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(
    () => new Set(selected === undefined ? [] : ancestorsOf(selected)),
  );
  const root = useAsync(() => client.artifacts.list(runId), [runId]);
  const tree: TreeState = {
    runId,
    selected,
    expanded,
    toggle: (path) =>
      setExpanded((open) => {
        const next = new Set(open);
        if (!next.delete(path)) next.add(path);
        return next;
      }),
    select: (path) => {
      const next = new URLSearchParams(params);
      next.set('artifact', path);
      setParams(next);
    },
  };
  return (
    <section className="artifacts" aria-labelledby="artifacts-heading">
      <h2 id="artifacts-heading">Artifacts</h2>
      {root.status === 'loading' ? <Loading what="the artifacts" /> : null}
      {root.status === 'error' ? (
        <ErrorMessage error={root.error} action="Could not list the artifacts" />
      ) : null}
      {root.status === 'ok' && root.data.length === 0 ? (
        <Empty>
          <p>No artifacts logged to this run. Upload files with the SDK, the CLI or an MLflow client.</p>
        </Empty>
      ) : null}
      {root.status === 'ok' && root.data.length > 0 ? (
        <div className="artifacts-browser">
          <nav className="artifact-tree" aria-label="Artifact files">
            <Entries entries={root.data} depth={0} tree={tree} />
          </nav>
          <div className="artifact-pane">
            {selected === undefined ? (
              <p className="subtle artifact-hint">Choose a file to preview it.</p>
            ) : (
              <ArtifactPreview key={selected} runId={runId} path={selected} />
            )}
          </div>
        </div>
      ) : null}
    </section>
  );
}

function Entries(props: { entries: readonly ArtifactInfo[]; depth: number; tree: TreeState }): ReactNode {
  const { entries, depth, tree } = props;
  // Folders first, as file managers list them; the server's order (by code point) within each.
  const ordered = [...entries.filter((e) => e.isDir), ...entries.filter((e) => !e.isDir)];
  const indent = { paddingLeft: 8 + depth * 16 };
  return (
    <ul className="tree-list">
      {ordered.map((entry) => {
        const name = baseName(entry.path);
        if (entry.isDir) {
          const open = tree.expanded.has(entry.path);
          return (
            <li key={entry.path}>
              <button
                type="button"
                className="tree-item tree-folder"
                style={indent}
                aria-expanded={open}
                onClick={() => tree.toggle(entry.path)}
              >
                <span className="tree-mark" aria-hidden="true">
                  {open ? '▾' : '▸'}
                </span>
                {name}/
              </button>
              {open ? <Folder path={entry.path} depth={depth + 1} tree={tree} /> : null}
            </li>
          );
        }
        const current = tree.selected === entry.path;
        return (
          <li key={entry.path}>
            <button
              type="button"
              className={current ? 'tree-item tree-file tree-current' : 'tree-item tree-file'}
              style={indent}
              aria-current={current ? 'true' : undefined}
              onClick={() => tree.select(entry.path)}
            >
              <span className="tree-mark" aria-hidden="true" />
              <span className="tree-name">{name}</span>
              {entry.fileSize === undefined ? null : (
                <span className="tree-size">{formatBytes(entry.fileSize)}</span>
              )}
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/** An open folder: its listing, fetched when it opens. */
function Folder(props: { path: string; depth: number; tree: TreeState }): ReactNode {
  const { path, depth, tree } = props;
  const state = useAsync(() => client.artifacts.list(tree.runId, path), [tree.runId, path]);
  const indent = { paddingLeft: 8 + depth * 16 };
  if (state.status === 'loading') {
    return (
      <p className="tree-note" style={indent} role="status">
        Loading…
      </p>
    );
  }
  if (state.status === 'error') return <ErrorMessage error={state.error} action={`Could not list ${path}`} />;
  if (state.data.length === 0) {
    return (
      <p className="tree-note" style={indent}>
        Empty folder.
      </p>
    );
  }
  return <Entries entries={state.data} depth={depth} tree={tree} />;
}
