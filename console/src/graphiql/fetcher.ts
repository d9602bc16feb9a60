// GraphiQL's fetcher: queries and mutations over HTTP POST to /graphql with the Headers
// pane's headers; subscriptions over a graphql-ws socket that says who it is in its
// connection_init payload (the server reads Authorization there, as it reads the header
// on HTTP). One socket per Authorization; a new one replaces the last.
import { createGraphiQLFetcher, type Fetcher, type FetcherOpts, type FetcherParams } from "@graphiql/toolkit";
import { getOperationAST, parse, type ExecutionResult } from "graphql";
import { createClient, type Client } from "graphql-ws";

/** The Authorization header of the Headers pane, whatever its case; "" when none (or
 * when it names no token). */
export function authorizationOf(headers: FetcherOpts["headers"]): string {
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== "authorization" || typeof value !== "string") continue;
    const [scheme = "", token = ""] = value.trim().split(/\s+/, 2);
    // the pane's template, "Bearer " with no token yet, is no one: a guest
    return token ? `${scheme} ${token}` : "";
  }
  return "";
}

/** Whether the operation to run is a subscription (a document that does not parse is not).
 * Read from the text that is sent: GraphiQL's parsed document can lag behind the editor. */
export function isSubscription(params: FetcherParams): boolean {
  try {
    const operation = getOperationAST(parse(params.query), params.operationName ?? undefined);
    return operation?.operation === "subscription";
  } catch {
    return false;
  }
}

export function socketUrl(page: Location): string {
  return `${page.protocol === "https:" ? "wss" : "ws"}://${page.host}/graphql`;
}

export function graphiqlFetcher(page: Location, openSocket: typeof createClient = createClient): Fetcher {
  const http = createGraphiQLFetcher({ url: "/graphql", enableIncrementalDelivery: false });
  let socket: { authorization: string; client: Client } | null = null;
  const socketFor = (authorization: string): Client => {
    if (socket?.authorization !== authorization) {
      void socket?.client.dispose();
      const client = openSocket({
        url: socketUrl(page),
        connectionParams: authorization ? { Authorization: authorization } : {},
        lazy: true,
        retryAttempts: 0,
      });
      socket = { authorization, client };
    }
    return socket.client;
  };
  return (params, opts) => {
    if (!isSubscription(params)) return http(params, opts);
    const results = socketFor(authorizationOf(opts?.headers)).iterate({
      query: params.query,
      variables: params.variables ?? undefined,
      operationName: params.operationName ?? undefined,
    });
    // the wire's results (errors as JSON), which is what GraphiQL shows
    return results as AsyncIterable<ExecutionResult>;
  };
}
