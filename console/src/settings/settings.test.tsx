import { act, renderHook, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { ADMIN, FULFILLMENT, renderScreen, staff } from "../test-render";
import { useForwardPages } from "../ui/Pager";
import { ApiTokens } from "./ApiTokens";
import SettingsScreen from "./index";
import { countryList, expiryOf, grantable, PERMISSIONS } from "./settingsForms";
import { SecretOnce } from "./Webhooks";

describe("the settings forms", () => {
  it("read countries as upper-case codes, once each", () => {
    expect(countryList("gb, FR  de;gb")).toEqual(["GB", "FR", "DE"]);
    expect(countryList("  ")).toEqual([]);
  });

  it("offer a token only the permissions its issuer holds", () => {
    expect(grantable(PERMISSIONS, ["WEBHOOKS_MANAGE", "IMPORTS_WRITE"])).toEqual(["IMPORTS_WRITE", "WEBHOOKS_MANAGE"]);
  });

  it("end a token on the last moment of the day chosen", () => {
    expect(expiryOf("2027-01-31")).toBe(new Date(2027, 1, 1).toISOString());
    expect(expiryOf("")).toBeNull();
  });
});

describe("pages of a list that pages forwards", () => {
  it("go back through the cursors walked", () => {
    const { result } = renderHook(() => useForwardPages());
    expect(result.current.after).toBeUndefined();
    act(() => result.current.onMove({ after: "c1" }));
    act(() => result.current.onMove({ after: "c2" }));
    expect(result.current.after).toBe("c2");
    expect(result.current.adapt({ hasNextPage: true, hasPreviousPage: false })?.hasPreviousPage).toBe(true);
    act(() => result.current.onMove({ before: "back" }));
    expect(result.current.after).toBe("c1");
  });
});

const empty = { pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null }, edges: [] };

describe("the settings screen", { timeout: 30_000 }, () => {
  it("shows each section only to whoever may use it", async () => {
    renderScreen(staff("SUPPORT", ["ORDERS_READ", "WEBHOOKS_MANAGE"]), <SettingsScreen />, {
      WebhooksSettings: () => ({ webhookEvents: ["order.created"], webhooks: empty }),
    });
    const tabs = screen.getByRole("tablist", { name: "Settings sections" });
    expect(within(tabs).getAllByRole("tab").map((tab) => tab.textContent)).toEqual(["Webhooks"]);
  });

  it("has nothing for a fulfilment user", () => {
    renderScreen(FULFILLMENT, <SettingsScreen />, {});
    expect(screen.getByText("Your role has no settings to change.")).toBeInTheDocument();
    expect(screen.queryByRole("tablist")).toBeNull();
  });

  it("issues a token with the permissions its issuer holds, and shows it once", async () => {
    const issuer = staff("ADMIN", ["IMPORTS_WRITE", "STAFF_MANAGE"]);
    const { named } = renderScreen(issuer, <ApiTokens />, {
      ApiTokensSettings: () => ({ apiTokens: empty }),
      CreateApiToken: () => ({ createApiToken: { token: "bco_secret", errors: [] } }),
    });
    await userEvent.click(screen.getByRole("button", { name: "New API token" }));
    const dialog = screen.getByRole("dialog", { name: "New API token" });
    expect(within(dialog).getAllByRole("checkbox").map((box) => box.closest("label")?.textContent)).toEqual(["Imports write", "Staff manage"]);
    await userEvent.type(within(dialog).getByLabelText(/^Name/), "carrier");
    await userEvent.click(within(dialog).getByRole("checkbox", { name: "Imports write" }));
    await userEvent.click(within(dialog).getByRole("button", { name: "Issue token" }));
    const shown = await screen.findByRole("dialog", { name: "New API token" });
    expect(within(shown).getByRole("status", { name: "New API token" })).toHaveTextContent("bco_secret");
    expect(named("CreateApiToken")[0]?.variables).toEqual({ input: { name: "carrier", permissions: ["IMPORTS_WRITE"], expiresAt: null } });
  });

  it("says a secret is shown this once", () => {
    renderScreen(ADMIN, <SecretOnce title="Webhook secret" what="The signing secret" secret="whsec_abc" onClose={() => undefined} />, {});
    const dialog = screen.getByRole("dialog", { name: "Webhook secret" });
    expect(dialog).toHaveTextContent("The signing secret is shown this once.");
    expect(dialog).toHaveTextContent("whsec_abc");
  });
});
