// A checkbox: a native <input type="checkbox"> in its <label>, so the browser gives it its
// role, its state (checked, mixed, disabled), Space to toggle, and form behaviour, and a
// click on the label toggles it. The console's look is CSS on the input itself (styles.css).
import { useEffect, useId, useRef } from "react";

export function Check({
  label,
  isSelected,
  onChange,
  isDisabled,
  isIndeterminate,
  description,
  hideLabel,
}: {
  /** What the checkbox is named; shown beside it unless hideLabel (then its accessible name only). */
  label: string;
  isSelected: boolean;
  onChange(selected: boolean): void;
  isDisabled?: boolean;
  /** "Some of them": the header checkbox of a partly selected table. */
  isIndeterminate?: boolean;
  description?: string;
  hideLabel?: boolean;
}) {
  const input = useRef<HTMLInputElement>(null);
  const descriptionId = useId();
  useEffect(() => {
    if (input.current) input.current.indeterminate = !!isIndeterminate && !isSelected;
  }, [isIndeterminate, isSelected]);
  const box = (
    <input
      ref={input}
      type="checkbox"
      checked={isSelected}
      disabled={isDisabled}
      onChange={(event) => onChange(event.target.checked)}
      aria-label={hideLabel ? label : undefined}
      aria-describedby={description ? descriptionId : undefined}
    />
  );
  if (hideLabel) return <label className="checkbox">{box}</label>;
  return (
    <label className="checkbox" data-disabled={isDisabled || undefined}>
      {box}
      <span>
        {label}
        {description && (
          <span className="muted" id={descriptionId}>
            {" "}
            — {description}
          </span>
        )}
      </span>
    </label>
  );
}
