/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

// graphql-codegen's client preset resolves `graphql(\`…\`)` through a map of every document
// in the app (src/gql/gql.ts), which would put all of them in the first chunk. Its types are
// all TypeScript needs; at run time the query text itself is enough for urql, which parses
// it. So each call becomes its text, and every document stays in the chunk that uses it.
// A document's text must therefore hold every fragment it spreads (no `${Fragment}`).
function inlineDocuments(): Plugin {
  const call = /\bgraphql\(\s*(`(?:[^`$]|\$(?!\{))*`)\s*,?\s*\)/g;
  const using = /import\s*\{\s*graphql\s*\}\s*from\s*["'][./]*gql["'];?/;
  return {
    name: "bitcart-inline-documents",
    enforce: "pre",
    transform(code, id) {
      if (!/\/src\/.*\.tsx?$/.test(id) || id.includes("/src/gql/") || !code.includes("graphql(")) return null;
      const inlined = code.replace(call, "$1");
      if (/\bgraphql\(/.test(inlined)) this.error(`${id}: a graphql(\`…\`) call that is not plain text`);
      return { code: inlined.replace(using, ""), map: null };
    },
  };
}

// Served by the API at /console (app/console.py): hashed file names under assets/, cached
// for a year; index.html is never cached.
export default defineConfig({
  base: "/console/",
  plugins: [inlineDocuments(), react()],
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
    // a second page: GraphiQL at /graphql (app/graphiql.py), from the npm package
    rollupOptions: {
      input: {
        index: fileURLToPath(new URL("index.html", import.meta.url)),
        graphiql: fileURLToPath(new URL("graphiql.html", import.meta.url)),
      },
    },
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
    // a shared, loaded machine renders jsdom screens slowly: 5 s (the default) is not a fault
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
