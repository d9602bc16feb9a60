// The console's widgets: React Aria Components with the console's look, so every screen gets
// the same keyboard, focus and screen-reader behaviour. One module each, so a screen's chunk
// carries only the widgets it uses.
export { Button, Errors, Notice, TextField, type TextFieldProps } from "./fields";
export { Dialog } from "./Dialog";
export { Select, type Choice } from "./Select";
export { TableWrap } from "./TableWrap";
