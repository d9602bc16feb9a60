// Worker jobs (bulk changes, exports, documents) answer at once with a record the worker
// moves on; this asks for it again until it is finished, reporting each answer.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import type { AnyVariables, Client } from "urql";

export const POLL_EVERY_MS = 400;

export async function pollUntil<Data, Variables extends AnyVariables>(
  client: Client,
  document: TypedDocumentNode<Data, Variables>,
  variables: Variables,
  finished: (data: Data) => boolean,
  onUpdate: (data: Data) => void,
  signal?: AbortSignal,
): Promise<Data> {
  for (;;) {
    const result = await client.query(document, variables, { requestPolicy: "network-only" }).toPromise();
    if (result.error) throw result.error;
    if (result.data) {
      onUpdate(result.data);
      if (finished(result.data)) return result.data;
    }
    if (signal?.aborted) throw new DOMException("stopped", "AbortError");
    await new Promise((resolve) => setTimeout(resolve, POLL_EVERY_MS));
  }
}
