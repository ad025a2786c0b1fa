/**
 * Response headers for artifact downloads, following MLflow's `_guess_mime_type`: known text formats
 * (and MLmodel/MLproject) are text/plain, a few common binary types are named, everything else is
 * application/octet-stream. Downloads are always attachments with nosniff, as in MLflow, so a stored
 * HTML or SVG file is never rendered on the server's origin.
 */

const TEXT_EXTENSIONS = new Set([
  'txt',
  'log',
  'err',
  'cfg',
  'conf',
  'cnf',
  'cf',
  'ini',
  'properties',
  'prop',
  'hocon',
  'toml',
  'yaml',
  'yml',
  'xml',
  'json',
  'js',
  'py',
  'py3',
  'csv',
  'tsv',
  'md',
  'rst',
  'MLmodel',
  'MLproject',
]);

const KNOWN_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html',
  htm: 'text/html',
  css: 'text/css',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  bmp: 'image/bmp',
  svg: 'image/svg+xml',
  webp: 'image/webp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  pdf: 'application/pdf',
  zip: 'application/zip',
  tar: 'application/x-tar',
  mp3: 'audio/mpeg',
  wav: 'audio/x-wav',
  mp4: 'video/mp4',
};

const OCTET_STREAM = 'application/octet-stream';

/** Content type MLflow would send for the file named by the last segment of `path`. */
export function artifactContentType(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  // Like os.path.splitext: a leading dot starts a name, not an extension; no extension → the name itself.
  const extension = dot > 0 ? name.slice(dot + 1) : name;
  if (TEXT_EXTENSIONS.has(extension)) return 'text/plain';
  return (dot > 0 && KNOWN_TYPES[extension.toLowerCase()]) || OCTET_STREAM;
}

/** `Content-Disposition: attachment` naming the file; non-ASCII names use RFC 6266's filename*. */
export function attachmentDisposition(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  if (ascii === name) return `attachment; filename="${name}"`;
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
