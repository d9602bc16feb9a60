import { Button as AriaButton, Label, ListBox, ListBoxItem, Popover, Select as AriaSelect, SelectValue } from "react-aria-components";

export interface Choice<K extends string> {
  key: K;
  label: string;
}

export function Select<K extends string>({
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
  return (
    <AriaSelect
      className="field select"
      selectedKey={value}
      onSelectionChange={(key) => key !== null && onChange(String(key) as K)}
      isDisabled={isDisabled}
    >
      <Label>{label}</Label>
      <AriaButton className="select-button">
        <SelectValue />
        <span aria-hidden="true">▾</span>
      </AriaButton>
      <Popover className="popover">
        <ListBox className="listbox" items={choices}>
          {(choice) => (
            <ListBoxItem id={choice.key} className="listbox-item" textValue={choice.label}>
              {choice.label}
            </ListBoxItem>
          )}
        </ListBox>
      </Popover>
    </AriaSelect>
  );
}

