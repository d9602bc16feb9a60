// Previous and next pages of a keyset-paged list (a Relay connection's pageInfo).
import { useState } from "react";
import { Button } from "./fields";

export interface PageInfoLike {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor?: string | null;
  endCursor?: string | null;
}

/** Where a list is: the first page, or after / before a cursor. */
export type PageAt = { after?: string; before?: string };

/** The connection's arguments for a page of `size` at `at`. */
export function pageArguments(at: PageAt, size: number): { first?: number; after?: string; last?: number; before?: string } {
  return at.before ? { last: size, before: at.before } : { first: size, ...(at.after ? { after: at.after } : {}) };
}

export function Pager({
  pageInfo,
  total,
  noun,
  onMove,
}: {
  pageInfo: PageInfoLike | undefined;
  total?: number;
  noun: [string, string];
  onMove(at: PageAt): void;
}) {
  return (
    <nav aria-label="Pages" className="row">
      <Button
        isDisabled={!pageInfo?.hasPreviousPage || !pageInfo.startCursor}
        onPress={() => pageInfo?.startCursor && onMove({ before: pageInfo.startCursor })}
      >
        Previous page
      </Button>
      <Button
        isDisabled={!pageInfo?.hasNextPage || !pageInfo.endCursor}
        onPress={() => pageInfo?.endCursor && onMove({ after: pageInfo.endCursor })}
      >
        Next page
      </Button>
      {total !== undefined && (
        <span className="muted" role="status">
          {total} {total === 1 ? noun[0] : noun[1]}
        </span>
      )}
    </nav>
  );
}

/**
 * Pages of a list that pages forwards only (first/after): the cursors walked so far, so
 * "Previous page" goes back through them. `pageInfo` adapts the list's for the Pager.
 */
export function useForwardPages(): {
  after: string | undefined;
  onMove(at: PageAt): void;
  adapt<P extends PageInfoLike>(pageInfo: P | undefined): PageInfoLike | undefined;
  reset(): void;
} {
  const [walked, setWalked] = useState<string[]>([]);
  return {
    after: walked[walked.length - 1],
    onMove: (at) => setWalked((before) => (at.after ? [...before, at.after] : before.slice(0, -1))),
    adapt: (pageInfo) => pageInfo && { ...pageInfo, hasPreviousPage: walked.length > 0, startCursor: walked.length > 0 ? "back" : null },
    reset: () => setWalked([]),
  };
}
