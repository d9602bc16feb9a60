// What the live indicator shows: whether the subscription socket is connected, and how
// many times it has (re)connected, so screens can catch up on what they missed.
import { createContext, useContext, useEffect, useRef } from "react";

export type LiveState = "connecting" | "live" | "offline";

export interface Live {
  state: LiveState;
  /** Counts connections: each new one after the first means events may have been missed. */
  connections: number;
}

export const LiveContext = createContext<Live>({ state: "offline", connections: 0 });

export function useLive(): Live {
  return useContext(LiveContext);
}

/** Calls `onReconnect` whenever the socket comes back after having been down. */
export function useOnReconnect(onReconnect: () => void): void {
  const { connections } = useLive();
  const seen = useRef(connections);
  const callback = useRef(onReconnect);
  callback.current = onReconnect;
  useEffect(() => {
    if (connections > 1 && connections !== seen.current) callback.current();
    seen.current = connections;
  }, [connections]);
}
