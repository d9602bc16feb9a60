// A checkbox with its label, React Aria's, in the console's look (as the orders table's).
import { Checkbox } from "react-aria-components";

export function Check({
  label,
  isSelected,
  onChange,
  isDisabled,
  description,
}: {
  label: string;
  isSelected: boolean;
  onChange(selected: boolean): void;
  isDisabled?: boolean;
  description?: string;
}) {
  return (
    <Checkbox className="checkbox" isSelected={isSelected} onChange={onChange} isDisabled={isDisabled}>
      <span className="box" aria-hidden="true">
        {isSelected ? "✓" : ""}
      </span>
      <span>
        {label}
        {description && <span className="muted"> — {description}</span>}
      </span>
    </Checkbox>
  );
}
