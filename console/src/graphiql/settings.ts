// What GraphiQL opens with. The server's sign-in hint is the default query: GraphiQL shows
// it when nothing else says what to show (a shared link's ?query=, or this tab's own state),
// so a link never hides it behind an example of ours.
export interface Defaults {
  defaultQuery?: string;
  defaultHeaders?: string;
}

export const DEFAULTS_ID = "bitcart-graphiql";

export function readDefaults(page: Document): Defaults {
  const block = page.getElementById(DEFAULTS_ID);
  if (!block?.textContent) return {};
  try {
    const parsed = JSON.parse(block.textContent) as Defaults;
    return {
      defaultQuery: typeof parsed.defaultQuery === "string" ? parsed.defaultQuery : undefined,
      defaultHeaders: typeof parsed.defaultHeaders === "string" ? parsed.defaultHeaders : undefined,
    };
  } catch {
    return {};
  }
}

/** A shared link's query (`?query=`, GraphiQL's own name, or `?q=`); else none. */
export function openingQuery(search: URLSearchParams): string | undefined {
  return search.get("query") || search.get("q") || undefined;
}

/**
 * GraphiQL's storage, in this page's memory only. GraphiQL keeps its tabs and history
 * there, and the history holds each run's headers (a bearer token with them) whatever
 * `shouldPersistHeaders` says: nothing of it may reach localStorage or sessionStorage.
 */
export class MemoryStorage implements Storage {
  private readonly items = new Map<string, string>();

  get length(): number {
    return this.items.size;
  }

  clear(): void {
    this.items.clear();
  }

  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }

  key(index: number): string | null {
    return [...this.items.keys()][index] ?? null;
  }

  removeItem(key: string): void {
    this.items.delete(key);
  }

  setItem(key: string, value: string): void {
    this.items.set(key, String(value));
  }
}
