/**
 * The preview of one artifact file: an image drawn from a blob URL, a CSV/TSV as a table of its
 * first rows, or text; only the start of a large file is fetched (`artifacts.peek`), and the
 * preview says when it shows part of the file.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { ArtifactPeek } from '@slipway/sdk';
import { client } from '../api.js';
import { ErrorMessage, Loading } from '../components/status.js';
import { useAsync } from '../use-async.js';
import {
  IMAGE_PREVIEW_BYTES,
  TABLE_PREVIEW_BYTES,
  TABLE_PREVIEW_ROWS,
  TEXT_PREVIEW_BYTES,
  baseName,
  decodeText,
  delimiterOf,
  formatBytes,
  imageTypeOf,
  parseDelimited,
  previewKindOf,
  type PreviewKind,
} from './artifact-preview.js';

const LIMITS: Readonly<Record<PreviewKind, number>> = {
  image: IMAGE_PREVIEW_BYTES,
  table: TABLE_PREVIEW_BYTES,
  text: TEXT_PREVIEW_BYTES,
};

/** The preview pane of the file at `path`. */
export function ArtifactPreview({ runId, path }: { runId: string; path: string }): ReactNode {
  const kind = previewKindOf(path);
  const state = useAsync(() => client.artifacts.peek(runId, path, LIMITS[kind]), [runId, path, kind]);
  const size = state.status === 'ok' ? state.data.size : undefined;
  return (
    <section className="artifact-preview" aria-label="Artifact preview" data-kind={kind}>
      <header className="preview-header">
        <code className="preview-path">{path}</code>
        {size === undefined ? null : <span className="subtle">{formatBytes(size)}</span>}
        <a href={client.artifacts.downloadUrl(runId, path)} download={baseName(path)}>
          Download
        </a>
      </header>
      {state.status === 'loading' ? <Loading what={baseName(path)} /> : null}
      {state.status === 'error' ? (
        <ErrorMessage error={state.error} action={`Could not read ${path}`} />
      ) : null}
      {state.status === 'ok' ? <PreviewBody kind={kind} path={path} peek={state.data} /> : null}
    </section>
  );
}

function PreviewBody({
  kind,
  path,
  peek,
}: {
  kind: PreviewKind;
  path: string;
  peek: ArtifactPeek;
}): ReactNode {
  if (kind === 'image') {
    return peek.truncated ? (
      <p className="preview-note">
        This image is larger than {formatBytes(IMAGE_PREVIEW_BYTES)}: download it to view it.
      </p>
    ) : (
      <ImagePreview bytes={peek.bytes} type={imageTypeOf(path)} alt={baseName(path)} />
    );
  }
  const text = decodeText(peek.bytes, peek.truncated);
  if (text === undefined) {
    return <p className="preview-note">A binary file: there is no preview. Download it to open it.</p>;
  }
  if (kind === 'table') return <TablePreview text={text} path={path} peek={peek} />;
  return (
    <>
      {peek.truncated ? <PartNote peek={peek} /> : null}
      <pre className="artifact-text" tabIndex={0}>
        {text}
      </pre>
    </>
  );
}

function TablePreview({ text, path, peek }: { text: string; path: string; peek: ArtifactPeek }): ReactNode {
  const table = parseDelimited(text, delimiterOf(path), TABLE_PREVIEW_ROWS, peek.truncated);
  const width = Math.max(table.header.length, ...table.rows.map((r) => r.length));
  const columns = Array.from({ length: width }, (_, i) => i);
  return (
    <>
      <p className="preview-note">
        {table.more
          ? `The first ${table.rows.length.toLocaleString()} rows`
          : `${table.rows.length.toLocaleString()} row${table.rows.length === 1 ? '' : 's'}`}
        , {width} column{width === 1 ? '' : 's'}
        {peek.truncated ? ` (read from the first ${formatBytes(peek.bytes.length)} of the file)` : ''}.
      </p>
      <div className="table-preview" tabIndex={0}>
        <table className="data-table" aria-label={`Table ${baseName(path)}`}>
          <thead>
            <tr>
              {columns.map((i) => (
                <th scope="col" key={i}>
                  {table.header[i] ?? ''}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {table.rows.map((row, r) => (
              <tr key={r}>
                {columns.map((i) => (
                  <td key={i}>{row[i] ?? ''}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** An image drawn from the downloaded bytes; its blob URL lives as long as the element shows them. */
function ImagePreview({
  bytes,
  type,
  alt,
}: {
  bytes: Uint8Array<ArrayBuffer>;
  type: string;
  alt: string;
}): ReactNode {
  const image = useRef<HTMLImageElement>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const url = URL.createObjectURL(new Blob([bytes], { type }));
    if (image.current !== null) image.current.src = url;
    return () => URL.revokeObjectURL(url);
  }, [bytes, type]);
  if (failed) return <p className="preview-note">The browser cannot draw this file as an image.</p>;
  return (
    <div className="image-preview">
      <img ref={image} alt={alt} onError={() => setFailed(true)} />
    </div>
  );
}

function PartNote({ peek }: { peek: ArtifactPeek }): ReactNode {
  return (
    <p className="preview-note preview-truncated">
      Showing the first {formatBytes(peek.bytes.length)}
      {peek.size === undefined ? '' : ` of ${formatBytes(peek.size)}`}: download the file for the rest.
    </p>
  );
}
