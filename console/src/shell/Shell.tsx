import { Suspense, useEffect, useState, type ReactNode } from "react";
import { NavLink, useLocation } from "react-router";
import { useMutation } from "urql";
import { graphql } from "../gql";
import { useSession } from "../lib/session";
import { SETTINGS_PERMISSIONS, useViewer } from "../lib/viewer";
import { Button } from "../ui/fields";
import { LiveIndicator } from "./LiveIndicator";

const SignOutDocument = graphql(`
  mutation SignOut {
    logout {
      revoked
    }
  }
`);

export const AREAS = [
  { path: "orders", label: "Orders" },
  { path: "shipments", label: "Shipments" },
  { path: "returns", label: "Returns" },
  { path: "imports", label: "Imports" },
  { path: "products", label: "Products" },
  { path: "settings", label: "Settings" },
] as const;

export function Shell({ children }: { children: ReactNode }) {
  const { me, canAny } = useViewer();
  const { signOut } = useSession();
  const [, logout] = useMutation(SignOutDocument);
  const areas = AREAS.filter((area) => area.path !== "settings" || canAny(...SETTINGS_PERMISSIONS));
  // on a phone the links sit behind a "Menu" button (CSS shows them always on wider screens);
  // following one closes the menu again
  const [menuOpen, setMenuOpen] = useState(false);
  const { pathname } = useLocation();
  useEffect(() => setMenuOpen(false), [pathname]);
  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">BitCart Orders</span>
        <nav aria-label="Console" data-open={menuOpen || undefined}>
          <button
            type="button"
            className="menu-toggle"
            aria-expanded={menuOpen}
            aria-controls="console-links"
            onClick={() => setMenuOpen((open) => !open)}
          >
            Menu
          </button>
          <ul id="console-links">
            {areas.map((area) => (
              <li key={area.path}>
                <NavLink to={`/${area.path}`}>{area.label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <LiveIndicator />
        <span className="who">
          {me.email}
          {me.role ? ` (${me.role.toLowerCase()})` : ""}
        </span>
        <Button
          variant="quiet"
          onPress={async () => {
            await logout({});
            signOut();
          }}
        >
          Sign out
        </Button>
      </header>
      <main id="main" className="content" tabIndex={-1}>
        <Suspense fallback={<p role="status">Loading…</p>}>{children}</Suspense>
      </main>
    </div>
  );
}
