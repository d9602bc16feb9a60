// The worker-made files of the orders area: invoices and packing slips (generateDocuments),
// and CSV exports (exportOrders). Each answers at once; the console asks again until the
// file is ready, then downloads it with the session's token.
import { useState } from "react";
import { ProgressBar } from "react-aria-components";
import { useClient } from "urql";
import { graphql } from "../gql";
import type { DocumentKind, ExportGranularity, OrderFilterInput } from "../gql/graphql";
import { download } from "../lib/download";
import { idempotencyKey } from "../lib/format";
import { pollUntil } from "../lib/poll";
import { useSession } from "../lib/session";

const GenerateDocumentsDocument = graphql(`
  mutation GenerateDocuments($kind: DocumentKind!, $orderIds: [ID!], $key: String) {
    generateDocuments(kind: $kind, orderIds: $orderIds, idempotencyKey: $key) {
      document {
        id
        status
        url
        error
      }
      errors {
        code
        message
      }
    }
  }
`);

const DocumentStatusDocument = graphql(`
  query DocumentStatus($id: ID!) {
    document(id: $id) {
      id
      status
      url
      error
      pageCount
    }
  }
`);

const ExportOrdersDocument = graphql(`
  mutation ExportOrders($filter: OrderFilterInput, $granularity: ExportGranularity!, $key: String) {
    exportOrders(filter: $filter, granularity: $granularity, idempotencyKey: $key) {
      export {
        id
        status
        url
        error
      }
      errors {
        code
        message
      }
    }
  }
`);

const ExportStatusDocument = graphql(`
  query ExportStatus($id: ID!) {
    export(id: $id) {
      id
      status
      url
      error
      rowCount
    }
  }
`);

export interface JobState {
  busy: boolean;
  message: string | null;
  error: string | null;
}

const IDLE: JobState = { busy: false, message: null, error: null };
export const KIND_WORDS: Record<DocumentKind, string> = { INVOICE: "invoice", PACKING_SLIP: "packing slip" };

/** Print (generate, wait for, download) documents; and export CSVs. */
export function useFileJobs() {
  const client = useClient();
  const { token } = useSession();
  const [state, setState] = useState<JobState>(IDLE);

  async function run(work: () => Promise<string>) {
    setState({ busy: true, message: "Preparing the file…", error: null });
    try {
      const message = await work();
      setState({ busy: false, message, error: null });
    } catch (error) {
      setState({ busy: false, message: null, error: error instanceof Error ? error.message : String(error) });
    }
  }

  const print = (kind: DocumentKind, orderIds: string[]) =>
    run(async () => {
      const made = await client
        .mutation(GenerateDocumentsDocument, { kind, orderIds, key: idempotencyKey() })
        .toPromise();
      const payload = made.data?.generateDocuments;
      if (made.error) throw made.error;
      if (!payload?.document) throw new Error(payload?.errors[0]?.message ?? "The document was refused.");
      const done = await pollUntil(
        client,
        DocumentStatusDocument,
        { id: payload.document.id },
        (data) => data.document?.status === "READY" || data.document?.status === "FAILED",
        (data) => setState((s) => ({ ...s, message: `The ${KIND_WORDS[kind]} is ${data.document?.status.toLowerCase() ?? "gone"}…` })),
      );
      if (done.document?.status !== "READY" || !done.document.url) throw new Error(done.document?.error ?? "The document failed.");
      const name = await download(done.document.url, token, `${kind.toLowerCase()}.pdf`);
      const pages = done.document.pageCount ?? 0;
      return `Downloaded ${name} (${pages} page${pages === 1 ? "" : "s"}).`;
    });

  const exportCsv = (filter: OrderFilterInput, granularity: ExportGranularity) =>
    run(async () => {
      const made = await client.mutation(ExportOrdersDocument, { filter, granularity, key: idempotencyKey() }).toPromise();
      const payload = made.data?.exportOrders;
      if (made.error) throw made.error;
      if (!payload?.export) throw new Error(payload?.errors[0]?.message ?? "The export was refused.");
      const done = await pollUntil(
        client,
        ExportStatusDocument,
        { id: payload.export.id },
        (data) => data.export?.status === "SUCCEEDED" || data.export?.status === "FAILED",
        (data) => setState((s) => ({ ...s, message: `The export is ${data.export?.status.toLowerCase() ?? "gone"}…` })),
      );
      if (done.export?.status !== "SUCCEEDED" || !done.export.url) throw new Error(done.export?.error ?? "The export failed.");
      const name = await download(done.export.url, token, "orders.csv");
      return `Downloaded ${name} (${done.export.rowCount ?? 0} rows).`;
    });

  return { state, print, exportCsv };
}

export function JobStatus({ state }: { state: JobState }) {
  return (
    <div className="job-status">
      {state.busy && <ProgressBar aria-label="Preparing the file" isIndeterminate className="progress" />}
      <p role="status">{state.message}</p>
      {state.error && <p role="alert" className="errors">{state.error}</p>}
    </div>
  );
}
