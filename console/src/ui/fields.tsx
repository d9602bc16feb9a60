// Buttons, text fields and messages: React Aria Components with the console's look.
import type { ReactNode } from "react";
import {
  Button as AriaButton,
  type ButtonProps,
  FieldError,
  Input,
  Label,
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
