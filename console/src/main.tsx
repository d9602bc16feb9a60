import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import { App } from "./App";
import { SessionProvider } from "./lib/session";
import "./styles.css";

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <BrowserRouter basename="/console">
      <SessionProvider>
        <App />
      </SessionProvider>
    </BrowserRouter>,
  );
}
