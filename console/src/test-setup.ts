import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";
import { patient } from "./test-wait";

// findBy* and waitFor wait as long as vi.waitFor does (src/test-wait.ts): a busy machine
// renders React Aria in jsdom slowly
configure({ asyncUtilTimeout: patient.timeout });

afterEach(() => {
  cleanup();
  sessionStorage.clear();
});
