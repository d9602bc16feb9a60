// The console's widgets: React Aria Components with the console's look, so every screen
// gets the same keyboard, focus and screen-reader behaviour without writing it again.
import type { ReactNode } from "react";
import {
  Button as AriaButton,
  type ButtonProps,
  Dialog as AriaDialog,
  FieldError,
  Heading,
  Input,
  Label,
  ListBox,
  ListBoxItem,
  Modal,
  ModalOverlay,
  Popover,
  Select as AriaSelect,
  SelectValue,
  Text,
  TextArea,
  TextField as AriaTextField,
  type TextFieldProps as AriaTextFieldProps,
} from "react-aria-components";

export function Button({ variant = "secondary", className, ...props }: ButtonProps & { variant?: "primary" | "secondary" | "danger" | "quiet" }) {
  return <AriaButton {...props} className={`button button-${variant} ${className ?? ""}`} />;
}

export interface TextFieldProps extends Omit<AriaTextFieldProps, "children"> {
  label: string;
  description?: string;
  errorMessage?: string;
  multiline?: boolean;
  placeholder?: string;
  inputClassName?: string;
  min?: number;
  max?: number;
  step?: string;
}

export function TextField({ label, description, errorMessage, multiline, placeholder, inputClassName, min, max, step, ...props }: TextFieldProps) {
  return (
    <AriaTextField {...props} className="field">
      <Label>{label}</Label>
      {multiline ? (
        <TextArea placeholder={placeholder} className={inputClassName} />
      ) : (
        <Input placeholder={placeholder} className={inputClassName} min={min} max={max} step={step} />
      )}
      {description && <Text slot="description">{description}</Text>}
      <FieldError>{errorMessage}</FieldError>
    </AriaTextField>
  );
}

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

/** A modal dialog whose name is its title; closed by Escape or its own buttons. */
export function Dialog({
  title,
  isOpen,
  onOpenChange,
  children,
  wide,
}: {
  title: string;
  isOpen: boolean;
  onOpenChange(open: boolean): void;
  children: ReactNode;
  wide?: boolean;
}) {
  return (
    <ModalOverlay className="modal-overlay" isOpen={isOpen} onOpenChange={onOpenChange} isDismissable>
      <Modal className={`modal ${wide ? "modal-wide" : ""}`}>
        <AriaDialog className="dialog">
          <Heading slot="title" className="dialog-title">
            {title}
          </Heading>
          {children}
        </AriaDialog>
      </Modal>
    </ModalOverlay>
  );
}

/** What the server said went wrong, read out as soon as it appears. */
export function Errors({ errors }: { errors: readonly { message: string; code?: string }[] | undefined | null }) {
  if (!errors || errors.length === 0) return null;
  return (
    <div role="alert" className="errors">
      {errors.map((error, i) => (
        <p key={i}>{error.message}</p>
      ))}
    </div>
  );
}

export function Notice({ children, tone = "info" }: { children: ReactNode; tone?: "info" | "warning" | "success" }) {
  return (
    <div role="status" className={`notice notice-${tone}`}>
      {children}
    </div>
  );
}
