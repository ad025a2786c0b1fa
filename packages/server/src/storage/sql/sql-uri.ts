/**
 * Parses backend store URIs into a dialect and its connection target.
 */
import { invalidArgument } from '@slipway/contracts';

/** The SQL dialects the tracking store supports. */
export type SqlDialectName = 'sqlite' | 'postgres';

/** A parsed backend store URI. */
export type SqlTarget =
  { dialect: 'sqlite'; filename: string } | { dialect: 'postgres'; connectionString: string };

/** The SQLite file name that means "in memory" (nothing is durable). */
export const SQLITE_MEMORY = ':memory:';

/**
 * Parses `sqlite:/abs/path.db`, `sqlite:relative.db`, `sqlite::memory:`, SQLAlchemy-style
 * `sqlite:////abs/path.db` / `sqlite:///relative.db`, and `postgresql://...` / `postgres://...`.
 */
export function parseSqlUri(uri: string): SqlTarget {
  if (/^postgres(ql)?:\/\//.test(uri)) return { dialect: 'postgres', connectionString: uri };
  if (uri.startsWith('sqlite:')) return { dialect: 'sqlite', filename: sqliteFilename(uri) };
  throw invalidArgument('backend-store-uri', `Unsupported SQL backend store URI '${uri}'.`);
}

function sqliteFilename(uri: string): string {
  // SQLAlchemy form: everything after "sqlite:///" is the path, so four slashes mean absolute.
  const rest = uri.startsWith('sqlite://') ? uri.slice('sqlite:///'.length) : uri.slice('sqlite:'.length);
  const filename = rest === '' ? SQLITE_MEMORY : decodeURIComponent(rest);
  if (filename.includes('?')) {
    throw invalidArgument('backend-store-uri', `SQLite URIs take no query parameters: '${uri}'.`);
  }
  return filename;
}
