import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";
import { patient } from "./test-wait";

// findBy* and waitFor wait as long as vi.waitFor does (src/test-wait.ts): a busy machine
// renders React Aria in jsdom slowly
configure({ asyncUtilTimeout: patient.timeout });

// findBy…/waitFor give up after 1 s by default; a loaded machine can take longer to render a
// screen, which is not a fault of the screen (a wrong screen still never matches).
configure({ asyncUtilTimeout: 10_000 });

afterEach(() => {
  cleanup();
  sessionStorage.clear();
});
