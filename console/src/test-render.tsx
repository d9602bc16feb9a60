// Rendering a screen for a unit test as a given member of staff, on a console address,
// against a fake client (src/test-client.ts) answering by operation name.
import type { Operation } from "@urql/core";
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter, Route, Routes } from "react-router";
import { Provider } from "urql";
import type { Permission } from "./gql/graphql";
import { ViewerContext, viewerOf, type Me } from "./lib/viewer";
import { PERMISSIONS } from "./settings/settingsForms";
import { fakeClient } from "./test-client";


export function staff(role: Me["role"], permissions: Permission[]): Me {
  return { id: "VXNlcjox", email: `${String(role).toLowerCase()}@example.com`, kind: "STAFF", role, firstName: "", lastName: "", permissions };
}

export const ADMIN = staff("ADMIN", [...PERMISSIONS]);
export const FULFILLMENT = staff("FULFILLMENT", ["ORDERS_READ", "SHIPMENTS_WRITE", "IMPORTS_WRITE", "DOCUMENTS_WRITE"]);
export const SUPPORT = staff("SUPPORT", ["ORDERS_READ", "ORDERS_WRITE", "RETURNS_WRITE", "DOCUMENTS_WRITE", "PAYMENTS_WRITE"]);

export function operationName(operation: Operation): string {
  const definition = operation.query.definitions[0];
  return definition && "name" in definition && definition.name ? definition.name.value : "";
}

/** Answers by operation name; subscriptions (and anything unnamed here) get no data. */
export function renderScreen(
  me: Me,
  screen: ReactNode,
  answers: Record<string, (variables: Record<string, unknown>) => unknown>,
  { path = "/", route = "*" }: { path?: string; route?: string } = {},
) {
  const { client, sent } = fakeClient((operation) => answers[operationName(operation)]?.(operation.variables as Record<string, unknown>));
  const view = render(
    <Provider value={client}>
      <MemoryRouter initialEntries={[path]}>
        <ViewerContext.Provider value={viewerOf(me)}>
          <Routes>
            <Route path={route} element={screen} />
          </Routes>
        </ViewerContext.Provider>
      </MemoryRouter>
    </Provider>,
  );
  return { ...view, sent, named: (name: string) => sent.filter((operation) => operationName(operation) === name) };
}
