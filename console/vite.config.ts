/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Served by the API at /console (app/console.py): hashed file names under assets/, cached
// for a year; index.html is never cached.
export default defineConfig({
  base: "/console/",
  plugins: [react()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    // no inline <script> or data: module preloads: the page's CSP is script-src 'self'
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    // scripts/size.mjs reads it to sum what a first visit downloads
    manifest: true,
    target: "es2022",
  },
  server: {
    // `npm run dev` against a local `scripts/serve` on :8000
    proxy: { "/graphql": { target: "http://127.0.0.1:8000", ws: true }, "/documents": "http://127.0.0.1:8000", "/exports": "http://127.0.0.1:8000" },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test-setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
