import { useEffect, type ReactNode } from "react";
import { RouterProvider } from "react-aria-components";
import { Navigate, Route, Routes, useHref, useNavigate } from "react-router";
import { useQuery } from "urql";
import { lazyScreen } from "./lib/lazyScreen";
import { useSession } from "./lib/session";
import { ViewerContext, ViewerDocument, viewerOf } from "./lib/viewer";
import { Shell } from "./shell/Shell";
import { SignIn } from "./shell/SignIn";
import { Button } from "./ui/fields";

// Each area is its own chunk, loaded when first opened (the one the address names, at once):
// the sign-in screen and the shell are all a first visit's entry holds.
const Orders = lazyScreen(() => import("./orders"), /^\/console\/?(orders\/?)?$/);
const OrderPage = lazyScreen(() => import("./orders/OrderPage"), /^\/console\/orders\/[^/]+/);
const Shipments = lazyScreen(() => import("./shipments"), /^\/console\/shipments/);
const Returns = lazyScreen(() => import("./returns"), /^\/console\/returns/);
const Imports = lazyScreen(() => import("./imports"), /^\/console\/imports/);
const Products = lazyScreen(() => import("./products"), /^\/console\/products/);
const Settings = lazyScreen(() => import("./settings"), /^\/console\/settings/);

function SignedIn({ children }: { children: ReactNode }) {
  const { signOut } = useSession();
  const [{ data, fetching, error }] = useQuery({ query: ViewerDocument, requestPolicy: "network-only" });
  const expired = !fetching && !error && data !== undefined && !data.me;
  useEffect(() => {
    if (expired) signOut(); // the token expired or was revoked: back to the sign-in screen
  }, [expired, signOut]);
  if (fetching && !data) return <p role="status">Signing in…</p>;
  if (error) {
    return (
      <main className="sign-in">
        <p role="alert">The server could not be reached: {error.message}</p>
        <Button onPress={() => window.location.reload()}>Try again</Button>
      </main>
    );
  }
  const me = data?.me;
  if (!me) return null;
  if (me.kind !== "STAFF") {
    return (
      <main className="sign-in">
        <h1>Staff only</h1>
        <p>{me.email} is a customer account; the console is for the store's staff.</p>
        <Button onPress={signOut}>Sign out</Button>
      </main>
    );
  }
  return <ViewerContext.Provider value={viewerOf(me)}>{children}</ViewerContext.Provider>;
}

export function App() {
  const { token } = useSession();
  const navigate = useNavigate();
  if (!token) return <SignIn />;
  return (
    <RouterProvider navigate={navigate} useHref={useHref}>
      <SignedIn>
        <Shell>
          <Routes>
            <Route index element={<Navigate to="/orders" replace />} />
            <Route path="orders" element={<Orders />} />
            <Route path="orders/:number" element={<OrderPage />} />
            <Route path="shipments/*" element={<Shipments />} />
            <Route path="returns/*" element={<Returns />} />
            <Route path="imports/*" element={<Imports />} />
            <Route path="products/*" element={<Products />} />
            <Route path="settings/*" element={<Settings />} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Shell>
      </SignedIn>
    </RouterProvider>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>There is no console page at this address.</p>
    </section>
  );
}
