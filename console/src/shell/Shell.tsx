import { Suspense, type ReactNode } from "react";
import { NavLink } from "react-router";
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
  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">BitCart Orders</span>
        <nav aria-label="Console">
          <ul>
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
