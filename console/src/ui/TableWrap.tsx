import type { ReactNode } from "react";

/**
 * A table that may scroll sideways on a narrow screen. A keyboard user must be able to focus
 * it to scroll it (axe's scrollable-region-focusable, WCAG 2.1.1) when none of its cells
 * holds a link or a control, and what takes focus needs a name: the table's own title. A
 * group, not a region: a second landmark named like the section around it is ambiguous.
 */
export function TableWrap({ labelledBy, label, children }: { labelledBy?: string; label?: string; children: ReactNode }) {
  return (
    <div className="table-wrap" role="group" tabIndex={0} aria-labelledby={labelledBy} aria-label={label}>
      {children}
    </div>
  );
}
