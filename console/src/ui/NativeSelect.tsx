// A plain <select> with its label: for the orders list's filters, where a phone's own picker
// is the best one there is and the screen's chunk stays small.
import { useId } from "react";
import type { Choice } from "./Select";

export function NativeSelect<K extends string>({
  label,
  choices,
  value,
  onChange,
  isDisabled,
}: {
  label: string;
  choices: Choice<K>[];
  value: K;
  onChange(value: K): void;
  isDisabled?: boolean;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} className="native-select" value={value} disabled={isDisabled} onChange={(event) => onChange(event.target.value as K)}>
        {choices.map((choice) => (
          <option key={choice.key} value={choice.key}>
            {choice.label}
          </option>
        ))}
      </select>
    </div>
  );
}
