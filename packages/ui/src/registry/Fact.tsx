/** One labelled fact in a page header's `<dl className="facts">`. */
import type { ReactNode } from 'react';

/** A term and its value. */
export function Fact({ label, children }: { label: string; children: ReactNode }): ReactNode {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}
