import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { Client, Provider } from "urql";
import { fromValue, never } from "wonka";
import { Shell } from "../shell/Shell";
import { SignIn } from "../shell/SignIn";
import { MAX_RETRY_WAIT, retryWait } from "./client";
import { SessionContext } from "./session";
import { storedToken, storeToken } from "./token";
import { ViewerContext, viewerOf, type Me } from "./viewer";

const admin: Me = {
  id: "1",
  email: "admin@example.com",
  kind: "STAFF",
  role: "ADMIN",
  firstName: "A",
  lastName: "D",
  permissions: ["ORDERS_READ", "ORDERS_WRITE", "SETTINGS_WRITE", "REFUNDS_WRITE"],
};
const fulfilment: Me = { ...admin, role: "FULFILLMENT", permissions: ["ORDERS_READ", "SHIPMENTS_WRITE", "IMPORTS_WRITE", "DOCUMENTS_WRITE"] };

function stubClient(executeMutation = vi.fn(() => never)): Client {
  return { executeQuery: () => never, executeMutation, executeSubscription: () => never } as unknown as Client;
}

describe("the token", () => {
  it("is kept for the tab in sessionStorage, never in localStorage", () => {
    storeToken("abc");
    expect(storedToken()).toBe("abc");
    expect(sessionStorage.getItem("bitcart.console.token")).toBe("abc");
    expect(localStorage.length).toBe(0);
    storeToken(null);
    expect(storedToken()).toBeNull();
  });
});

describe("reconnecting", () => {
  it("waits longer after each failed attempt, never more than the cap", () => {
    expect([0, 1, 2, 3].map(retryWait)).toEqual([250, 500, 1000, 2000]);
    expect(retryWait(50)).toBe(MAX_RETRY_WAIT);
  });
});

describe("the viewer", () => {
  it("answers from the permissions the API gave", () => {
    const viewer = viewerOf(fulfilment);
    expect(viewer.can("SHIPMENTS_WRITE")).toBe(true);
    expect(viewer.can("REFUNDS_WRITE")).toBe(false);
    expect(viewer.canAny("PAYMENTS_WRITE", "DOCUMENTS_WRITE")).toBe(true);
  });
});

function shell(me: Me) {
  return render(
    <Provider value={stubClient()}>
      <MemoryRouter initialEntries={["/orders"]}>
        <ViewerContext.Provider value={viewerOf(me)}>
          <Shell>
            <p>page</p>
          </Shell>
        </ViewerContext.Provider>
      </MemoryRouter>
    </Provider>,
  );
}

describe("the shell", () => {
  it("has a navigation landmark with every area for an admin", () => {
    shell(admin);
    const nav = screen.getByRole("navigation");
    const links = Array.from(nav.querySelectorAll("a")).map((a) => a.textContent);
    expect(links).toEqual(["Orders", "Shipments", "Returns", "Imports", "Products", "Settings"]);
    expect(screen.getByRole("link", { name: "Orders" })).toHaveAttribute("aria-current", "page");
    expect(screen.getByRole("status", { name: /Live updates/ })).toBeInTheDocument();
  });

  it("offers no settings to a fulfilment user", () => {
    shell(fulfilment);
    expect(screen.queryByRole("link", { name: "Settings" })).toBeNull();
    expect(screen.getByRole("link", { name: "Imports" })).toBeInTheDocument();
  });
});

describe("signing in", () => {
  it("sends the email and password and keeps the token it gets", async () => {
    const signIn = vi.fn();
    const executeMutation = vi.fn(() => fromValue({ data: { login: { token: "t0k", errors: [] } } }));
    render(
      <Provider value={stubClient(executeMutation)}>
        <SessionContext.Provider value={{ token: null, signIn, signOut: vi.fn() }}>
          <SignIn />
        </SessionContext.Provider>
      </Provider>,
    );
    await userEvent.type(screen.getByLabelText(/^Email/), " admin@example.com ");
    await userEvent.type(screen.getByLabelText(/^Password/), "pw");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(executeMutation).toHaveBeenCalledTimes(1);
    const [operation] = executeMutation.mock.calls[0] as unknown as [{ variables: unknown }];
    expect(operation.variables).toEqual({ email: "admin@example.com", password: "pw" });
    expect(signIn).toHaveBeenCalledWith("t0k");
  });

  it("shows the server's refusal", async () => {
    const executeMutation = vi.fn(() =>
      fromValue({ data: { login: { token: null, errors: [{ code: "INVALID_CREDENTIALS", message: "Wrong email or password." }] } } }),
    );
    render(
      <Provider value={stubClient(executeMutation)}>
        <SignIn />
      </Provider>,
    );
    await userEvent.type(screen.getByLabelText(/^Email/), "a@example.com");
    await userEvent.type(screen.getByLabelText(/^Password/), "nope");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong email or password.");
  });
});
