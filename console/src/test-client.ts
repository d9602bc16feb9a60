// A real urql Client whose exchange answers from a function, for the console's unit tests:
// components run their real request code, and the test sees every operation sent.
import { Client, makeResult, type Exchange, type Operation, type OperationResult } from "@urql/core";
import { filter, fromPromise, makeSubject, map, merge, mergeMap, pipe, share, type Source } from "wonka";

export function fakeClient(answer: (operation: Operation) => unknown): { client: Client; sent: Operation[] } {
  const sent: Operation[] = [];
  const exchange: Exchange = () => (operations$) =>
    pipe(
      operations$,
      filter((operation) => operation.kind !== "teardown"),
      map((operation) => {
        sent.push(operation);
        return makeResult(operation, { data: answer(operation) as Record<string, unknown> });
      }),
    );
  return { client: new Client({ url: "/graphql", exchanges: [exchange] }), sent };
}

/** As fakeClient, with answers that may come later (a Promise, in whatever order they
 * settle), and subscriptions that get what `push` sends them. */
export function liveClient(answer: (operation: Operation) => unknown): {
  client: Client;
  sent: Operation[];
  push(data: unknown): void;
} {
  const sent: Operation[] = [];
  const live = makeSubject<unknown>();
  const exchange: Exchange = () => (operations$) => {
    const asked = pipe(
      operations$,
      filter((operation) => operation.kind !== "teardown"),
      share,
    );
    const answered: Source<OperationResult> = pipe(
      asked,
      filter((operation) => operation.kind !== "subscription"),
      mergeMap((operation) => {
        sent.push(operation);
        const data = Promise.resolve(answer(operation));
        return fromPromise(data.then((d) => makeResult(operation, { data: d as Record<string, unknown> })));
      }),
    );
    const events: Source<OperationResult> = pipe(
      asked,
      filter((operation) => operation.kind === "subscription"),
      mergeMap((operation) => pipe(live.source, map((data) => makeResult(operation, { data: data as Record<string, unknown> })))),
    );
    return merge([answered, events]);
  };
  return { client: new Client({ url: "/graphql", exchanges: [exchange] }), sent, push: (data) => live.next(data) };
}
