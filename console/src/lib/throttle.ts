// Live events come in bursts (a bulk change, an edit's two events): a screen asks the server
// once for the burst, and at most once every `ms`.
import { useEffect, useMemo, useRef } from "react";

/** A function that calls `callback` at most once every `ms`; calls meanwhile are merged into
 * one that runs when the wait is over. */
export function useThrottled(callback: () => void, ms: number): () => void {
  const last = useRef(0);
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  const current = useRef(callback);
  current.current = callback;
  useEffect(() => () => void (pending.current && clearTimeout(pending.current)), []);
  return useMemo(
    () => () => {
      if (pending.current) return;
      const wait = Math.max(0, last.current + ms - Date.now());
      pending.current = setTimeout(() => {
        pending.current = null;
        last.current = Date.now();
        current.current();
      }, wait);
    },
    [ms],
  );
}
