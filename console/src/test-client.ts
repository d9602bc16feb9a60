// A real urql Client whose exchange answers from a function, for the console's unit tests:
// components run their real request code, and the test sees every operation sent.
import { Client, makeResult, type Exchange, type Operation } from "@urql/core";
import { filter, map, pipe } from "wonka";

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
