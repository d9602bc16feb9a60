// GraphiQL at /graphql, built with the console from the npm `graphiql` package: it loads
// nothing from elsewhere. The server puts what it should open with (the sign-in hint) in a
// JSON data block (not a script: the page's CSP runs only this origin's files).
import { GraphiQL } from "graphiql";
import "graphiql/style.css";
import "./page.css";
import { createRoot } from "react-dom/client";
import { graphiqlFetcher } from "./fetcher";
import { MemoryStorage, openingQuery, readDefaults } from "./settings";

const defaults = readDefaults(document);
const root = document.getElementById("graphiql");
if (root) {
  createRoot(root).render(
    <GraphiQL
      fetcher={graphiqlFetcher(window.location)}
      defaultQuery={defaults.defaultQuery}
      query={openingQuery(new URLSearchParams(window.location.search))}
      defaultHeaders={defaults.defaultHeaders}
      isHeadersEditorEnabled
      shouldPersistHeaders={false}
      storage={new MemoryStorage()}
      defaultEditorToolsVisibility="headers"
    />,
  );
}
