// The GraphQL client: queries and mutations over HTTP POST to /graphql (same origin), live
// events over a graphql-ws WebSocket on /graphql that reconnects after the server restarts.
import { createClient as createSocket, type Client as Socket } from "graphql-ws";
import { cacheExchange, Client, fetchExchange, subscriptionExchange } from "urql";
import type { LiveState } from "./live";

export interface Connection {
  client: Client;
  dispose(): void;
}

export interface ConnectionEvents {
  onLive(state: LiveState): void;
  /** The server closed the socket for a token it no longer accepts (4403). */
  onRejected(): void;
}

/** The longest wait between two reconnection attempts, in ms. */
export const MAX_RETRY_WAIT = 4000;

export function retryWait(retries: number): number {
  return Math.min(250 * 2 ** retries, MAX_RETRY_WAIT);
}

function socketUrl(): string {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${window.location.host}/graphql`;
}

function openSocket(token: string, events: ConnectionEvents): Socket {
  return createSocket({
    url: socketUrl(),
    connectionParams: { Authorization: `Bearer ${token}` },
    lazy: false, // connected while signed in, so the indicator tells the truth
    keepAlive: 10_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, retryWait(retries))),
    on: {
      connecting: () => events.onLive("connecting"),
      connected: () => events.onLive("live"),
      closed: (event) => {
        events.onLive("offline");
        if ((event as CloseEvent | undefined)?.code === 4403) events.onRejected();
      },
    },
  });
}

export function connect(token: string | null, events: ConnectionEvents): Connection {
  const socket = token ? openSocket(token, events) : null;
  const client = new Client({
    url: "/graphql",
    preferGetMethod: false,
    requestPolicy: "cache-and-network",
    fetchOptions: () => (token ? { headers: { Authorization: `Bearer ${token}` } } : {}),
    exchanges: [
      cacheExchange,
      fetchExchange,
      ...(socket
        ? [
            subscriptionExchange({
              forwardSubscription(request) {
                const input = { ...request, query: request.query ?? "" };
                return {
                  subscribe(sink) {
                    return { unsubscribe: socket.subscribe(input, sink) };
                  },
                };
              },
            }),
          ]
        : []),
    ],
  });
  return { client, dispose: () => void socket?.dispose() };
}
