/**
 * How the artifacts browser previews a file: which kind a path is, how much of it to fetch, text
 * decoding that recognizes binary data, and a CSV/TSV parser for the first rows. Pure.
 */

/** How a file is shown: drawn as an image, laid out as a table, or read as text when it is text. */
export type PreviewKind = 'image' | 'table' | 'text';

/** The first bytes fetched to preview text (a long log or JSON shows its start). */
export const TEXT_PREVIEW_BYTES = 256 * 1024;
/** The first bytes fetched to preview a table: enough for the first rows of a wide file. */
export const TABLE_PREVIEW_BYTES = 1024 * 1024;
/** Rows of a table shown at most. */
export const TABLE_PREVIEW_ROWS = 200;
/** Images larger than this are offered for download instead of drawn. */
export const IMAGE_PREVIEW_BYTES = 20 * 1024 * 1024;

const IMAGE_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  webp: 'image/webp',
};

/** The part of a path after its last `/`. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The directories leading to `path`, outermost first: `a/b/c.txt` gives `a`, `a/b`. */
export function ancestorsOf(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** The preview kind of a file by its extension; anything else is tried as text. */
export function previewKindOf(path: string): PreviewKind {
  const ext = extensionOf(path);
  if (ext in IMAGE_TYPES) return 'image';
  if (ext === 'csv' || ext === 'tsv') return 'table';
  return 'text';
}

/** The MIME type of an image path (the server sends every file as octet-stream; SVG needs its type). */
export function imageTypeOf(path: string): string {
  return IMAGE_TYPES[extensionOf(path)] ?? 'application/octet-stream';
}

/** The field separator of a table file: tab for `.tsv`, comma otherwise. */
export function delimiterOf(path: string): string {
  return extensionOf(path) === 'tsv' ? '\t' : ',';
}

/**
 * The bytes as UTF-8 text, or undefined when they are not text (a NUL byte or invalid UTF-8). A
 * `truncated` prefix may end inside a character, which is dropped rather than taken for binary.
 */
export function decodeText(bytes: Uint8Array, truncated: boolean): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: truncated });
  } catch {
    return undefined;
  }
}

/** The first rows of a table file. */
export interface TablePreview {
  header: string[];
  rows: string[][];
  /** True when the file has rows beyond those returned. */
  more: boolean;
}

/**
 * Parses delimited text into a header and at most `maxRows` rows. Commas follow RFC 4180 quoting
 * (`"a,b"`, `""` for a quote, line breaks inside quotes); tabs have no quoting convention, so a TSV
 * splits on every tab. For a `truncated` prefix the last, probably partial, record is dropped.
 * Blank lines are skipped.
 */
export function parseDelimited(
  text: string,
  delimiter: string,
  maxRows: number,
  truncated: boolean,
): TablePreview {
  const records = recordsOf(text, delimiter, delimiter === ',');
  if (truncated) records.pop();
  const [header = [], ...rest] = records.filter((r) => !(r.length === 1 && r[0] === ''));
  return { header, rows: rest.slice(0, maxRows), more: truncated || rest.length > maxRows };
}

function recordsOf(input: string, delimiter: string, quoting: boolean): string[][] {
  const out: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (quoting && c === '"' && field === '') quoted = true;
    else if (c === delimiter) {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && input[i + 1] === '\n') i++;
      record.push(field);
      out.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    out.push(record);
  }
  return out;
}

/** A byte count in the largest fitting binary unit, e.g. `512 B`, `3.2 KB`, `1.5 MB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

function extensionOf(path: string): string {
  const name = baseName(path);
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
}
