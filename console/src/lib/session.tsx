// The signed-in session: its token, the GraphQL client made for it, and the live state of
// its subscription socket. Signing out disposes the client and forgets the token.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { Provider as UrqlProvider } from "urql";
import { connect } from "./client";
import { LiveContext, type Live, type LiveState } from "./live";
import { storedToken, storeToken } from "./token";

export interface Session {
  token: string | null;
  signIn(token: string): void;
  signOut(): void;
}

export const SessionContext = createContext<Session>({
  token: null,
  signIn: () => undefined,
  signOut: () => undefined,
});

export function useSession(): Session {
  return useContext(SessionContext);
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState<string | null>(storedToken);
  const [live, setLive] = useState<Live>({ state: "offline", connections: 0 });
  const signIn = useCallback((next: string) => {
    storeToken(next);
    setToken(next);
  }, []);
  const signOut = useCallback(() => {
    storeToken(null);
    setToken(null);
  }, []);
  const connection = useMemo(
    () =>
      connect(token, {
        onLive: (state: LiveState) =>
          setLive((before) => ({
            state,
            connections: before.connections + (state === "live" ? 1 : 0),
          })),
        onRejected: signOut,
      }),
    [token, signOut],
  );
  useEffect(() => () => connection.dispose(), [connection]);
  const session = useMemo(() => ({ token, signIn, signOut }), [token, signIn, signOut]);
  return (
    <SessionContext.Provider value={session}>
      <LiveContext.Provider value={live}>
        <UrqlProvider value={connection.client}>{children}</UrqlProvider>
      </LiveContext.Provider>
    </SessionContext.Provider>
  );
}
