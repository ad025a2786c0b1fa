/** An alias as a badge, `@champion`, optionally with the version it points at. */
import type { ReactNode } from 'react';
import './registry.css';

/** `@alias` (and `→ v<version>` when given). */
export function AliasBadge({ alias, version }: { alias: string; version?: string }): ReactNode {
  return (
    <span className="alias-badge" data-alias={alias}>
      @{alias}
      {version === undefined ? null : <span className="alias-target"> → v{version}</span>}
    </span>
  );
}
