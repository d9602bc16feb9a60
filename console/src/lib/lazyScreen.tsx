import { type ComponentType, lazy } from "react";

/**
 * An area's screen, loaded as its own chunk when first opened. The screen the address opens
 * (`opens`) starts loading with the app, beside the sign-in check, and once loaded renders
 * without suspending: a Suspense fallback, once shown, holds the screen back for React's
 * 300 ms reveal throttle, which was a third of the orders list's time to its first row.
 */
export function lazyScreen<P extends object>(
  load: () => Promise<{ default: ComponentType<P> }>,
  opens: RegExp,
): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  const loading = () =>
    load().then((module) => {
      loaded = module.default;
      return module;
    });
  const Lazy = lazy(loading);
  if (typeof window !== "undefined" && opens.test(window.location.pathname)) void loading().catch(() => undefined);
  return function Screen(props: P) {
    const Loaded = loaded;
    return Loaded ? <Loaded {...props} /> : <Lazy {...props} />;
  };
}
