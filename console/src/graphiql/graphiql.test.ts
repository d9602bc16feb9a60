import { describe, expect, it, vi } from "vitest";
import { authorizationOf, graphiqlFetcher, isSubscription, socketUrl } from "./fetcher";
import { DEFAULTS_ID, MemoryStorage, openingQuery, readDefaults } from "./settings";

const page = { protocol: "http:", host: "127.0.0.1:8000" } as Location;

function fakeSockets() {
  const opened: { options: Record<string, unknown>; disposed: boolean; iterated: unknown[] }[] = [];
  const open = vi.fn((options: Record<string, unknown>) => {
    const socket = { options, disposed: false, iterated: [] as unknown[] };
    opened.push(socket);
    return {
      dispose: () => {
        socket.disposed = true;
      },
      iterate: (request: unknown) => {
        socket.iterated.push(request);
        return (async function* () {
          yield { data: { orderEvents: { type: "ORDER_PLACED" } } };
        })();
      },
    };
  });
  return { opened, open };
}

describe("the Headers pane's Authorization", () => {
  it("is found whatever its case, and the empty template is no one", () => {
    expect(authorizationOf({ authorization: "Bearer bco_x" })).toBe("Bearer bco_x");
    expect(authorizationOf({ AUTHORIZATION: "  Bearer   bco_y " })).toBe("Bearer bco_y");
    expect(authorizationOf({ Authorization: "Bearer " })).toBe("");
    expect(authorizationOf({ "X-Other": "1" })).toBe("");
    expect(authorizationOf(undefined)).toBe("");
  });
});

describe("which operations are subscriptions", () => {
  it("reads the text sent, by operation name when there are several", () => {
    expect(isSubscription({ query: "subscription { orderEvents { type } }" })).toBe(true);
    const both = "query A { me { email } } subscription B { orderEvents { type } }";
    expect(isSubscription({ query: both, operationName: "A" })).toBe(false);
    expect(isSubscription({ query: both, operationName: "B" })).toBe(true);
    expect(isSubscription({ query: "{ me { email } }" })).toBe(false);
    expect(isSubscription({ query: "subscription {" })).toBe(false);
  });
});

describe("the fetcher", () => {
  it("sends subscriptions over one socket per Authorization, saying who it is on connecting", async () => {
    const { opened, open } = fakeSockets();
    const fetcher = graphiqlFetcher(page, open as never);
    const query = "subscription { orderEvents { type } }";
    const first = fetcher({ query }, { headers: { Authorization: "Bearer a" } }) as AsyncIterable<unknown>;
    const got = [];
    for await (const result of first) got.push(result);
    expect(got).toEqual([{ data: { orderEvents: { type: "ORDER_PLACED" } } }]);
    fetcher({ query }, { headers: { Authorization: "Bearer a" } });
    expect(opened).toHaveLength(1);
    expect(opened[0]?.options).toMatchObject({
      url: "ws://127.0.0.1:8000/graphql",
      connectionParams: { Authorization: "Bearer a" },
    });
    fetcher({ query }, { headers: { Authorization: "Bearer b" } });
    expect(opened).toHaveLength(2);
    expect(opened[0]?.disposed).toBe(true);
    fetcher({ query }, { headers: { Authorization: "Bearer " } });
    expect(opened[2]?.options.connectionParams).toEqual({});
  });

  it("sends queries over HTTP with the pane's headers, never over the socket", async () => {
    const { opened, open } = fakeSockets();
    const sent: RequestInit[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (_url: string, init: RequestInit) => {
        sent.push(init);
        return new Response(JSON.stringify({ data: { me: null } }), { headers: { "content-type": "application/json" } });
      }),
    );
    try {
      const fetcher = graphiqlFetcher(page, open as never);
      const result = await fetcher({ query: "{ me { email } }" }, { headers: { Authorization: "Bearer a" } });
      expect(result).toEqual({ data: { me: null } });
      expect(opened).toHaveLength(0);
      expect(new Headers(sent[0]?.headers).get("authorization")).toBe("Bearer a");
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("speaks wss on an https page", () => {
    expect(socketUrl({ protocol: "https:", host: "shop.example" } as Location)).toBe("wss://shop.example/graphql");
  });
});

describe("what GraphiQL opens with", () => {
  it("is the server's sign-in hint, unless a shared link says otherwise", () => {
    document.body.innerHTML = `<script type="application/json" id="${DEFAULTS_ID}">{"defaultQuery":"# sign in","defaultHeaders":"{}"}</script>`;
    expect(readDefaults(document)).toEqual({ defaultQuery: "# sign in", defaultHeaders: "{}" });
    document.body.innerHTML = `<script type="application/json" id="${DEFAULTS_ID}">not json</script>`;
    expect(readDefaults(document)).toEqual({});
    expect(openingQuery(new URLSearchParams(""))).toBeUndefined();
    expect(openingQuery(new URLSearchParams("query=%7B%20me%20%7B%20email%20%7D%20%7D"))).toBe("{ me { email } }");
    expect(openingQuery(new URLSearchParams("q=%7B%20a%20%7D"))).toBe("{ a }");
  });

  it("keeps GraphiQL's state in memory only", () => {
    const storage = new MemoryStorage();
    storage.setItem("graphiql:queries", '{"headers":"Bearer x"}');
    expect(storage.getItem("graphiql:queries")).toContain("Bearer x");
    expect(storage.length).toBe(1);
    expect(storage.key(0)).toBe("graphiql:queries");
    expect(window.localStorage.length + window.sessionStorage.length).toBe(0);
    storage.removeItem("graphiql:queries");
    expect(storage.getItem("graphiql:queries")).toBeNull();
  });
});
