import { useLive } from "../lib/live";

const WORDS = { live: "Live", connecting: "Connecting…", offline: "Offline: reconnecting" } as const;

/** Whether live updates are arriving; read out when it changes. */
export function LiveIndicator() {
  const { state } = useLive();
  return (
    <p role="status" className={`live live-${state}`} data-live={state} aria-label={`Live updates: ${WORDS[state]}`}>
      <span className="live-dot" aria-hidden="true" />
      {WORDS[state]}
    </p>
  );
}
