// Importing tracking numbers in bulk: a carrier's CSV dropped or chosen, the import options,
// its progress live (trackingImportProgress), then the row report with its filters and a
// download.
import { useState } from "react";
import { Button as AriaButton, DropZone, FileTrigger, ProgressBar, Text } from "react-aria-components";
import { Link, Route, Routes, useNavigate, useParams } from "react-router";
import { useClient, useQuery, useSubscription } from "urql";
import { graphql } from "../gql";
import type { OrderStatus, TrackingImportOutcome } from "../gql/graphql";
import { download } from "../lib/download";
import { dateTime, ORDER_STATUSES, words } from "../lib/format";
import { useSession } from "../lib/session";
import { useViewer } from "../lib/viewer";
import { Button, Errors, Notice, Select } from "../ui";
import { Check } from "../ui/Check";
import { Pager, useForwardPages } from "../ui/Pager";
import "../ui/screens.css";
import { csvFileProblem, finished, progressText, uploadImport } from "./upload";

const ImportsListDocument = graphql(`
  query ImportsList($first: Int, $after: String) {
    trackingImports(first: $first, after: $after) {
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
      edges {
        node {
          id
          filename
          status
          createdAt
          totalRows
          processedRows
          failed
          skipped
        }
      }
    }
  }
`);

const ImportProgressDocument = graphql(`
  subscription ImportProgress($id: ID!) {
    trackingImportProgress(id: $id) {
      id
      status
      processedRows
      totalRows
      updated
      shipped
      unchanged
      skipped
      failed
      error
    }
  }
`);

const ImportReportDocument = graphql(`
  query ImportReport($id: ID!, $first: Int, $after: String, $outcome: TrackingImportOutcome) {
    trackingImport(id: $id) {
      id
      filename
      status
      createdAt
      finishedAt
      totalRows
      processedRows
      updated
      shipped
      unchanged
      skipped
      failed
      error
      resultUrl
      rows(first: $first, after: $after, outcome: $outcome) {
        totalCount
        pageInfo {
          hasNextPage
          hasPreviousPage
          startCursor
          endCursor
        }
        edges {
          node {
            line
            orderNumber
            trackingNumber
            carrier
            outcome
            code
            message
          }
        }
      }
    }
  }
`);

export default function ImportsArea() {
  return (
    <Routes>
      <Route index element={<ImportsHome />} />
      <Route path=":id" element={<ImportPage />} />
    </Routes>
  );
}

function ImportsHome() {
  const { can } = useViewer();
  return (
    <section aria-labelledby="imports-title" className="stack">
      <h1 id="imports-title">Imports</h1>
      {can("IMPORTS_WRITE") ? <NewImport /> : <Notice>Importing tracking numbers needs the IMPORTS_WRITE permission.</Notice>}
      <RecentImports />
    </section>
  );
}

function NewImport() {
  const client = useClient();
  const navigate = useNavigate();
  const [file, setFile] = useState<File | null>(null);
  const [createShipments, setCreateShipments] = useState(true);
  const [setStatus, setSetStatus] = useState<OrderStatus | "NONE">("NONE");
  const [overwrite, setOverwrite] = useState(false);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<{ message: string }[]>([]);
  const choose = (chosen: File | null | undefined) => {
    if (!chosen) return;
    const problem = csvFileProblem(chosen);
    setErrors(problem ? [{ message: problem }] : []);
    setFile(problem ? null : chosen);
  };
  return (
    <form
      className="panel stack"
      aria-labelledby="new-import-title"
      onSubmit={async (event) => {
        event.preventDefault();
        if (!file) return;
        setBusy(true);
        try {
          const options = { createShipments, overwrite, setStatus: setStatus === "NONE" ? null : setStatus };
          const answer = await uploadImport(client, file, options);
          if (answer.id) navigate(`/imports/${encodeURIComponent(answer.id)}`);
          else setErrors(answer.errors);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2 id="new-import-title">Import tracking numbers</h2>
      <p className="muted">
        A CSV with a header line: the order number and the tracking number, and the carrier if you have it. Each row adds the tracking
        number to its order; a bad row never stops the others, and importing the same file twice changes nothing the second time.
      </p>
      <DropZone
        className="dropzone"
        aria-label="Drop a CSV file here"
        onDrop={async (event) => {
          const item = event.items.find((dropped) => dropped.kind === "file");
          if (item && item.kind === "file") choose(await item.getFile());
        }}
      >
        <Text slot="label">{file ? `Ready: ${file.name} (${Math.ceil(file.size / 1024)} kB)` : "Drop a CSV file here, or"}</Text>
        <FileTrigger acceptedFileTypes={[".csv", "text/csv"]} onSelect={(files) => choose(files?.[0])}>
          <AriaButton className="button button-secondary">Choose a file</AriaButton>
        </FileTrigger>
      </DropZone>
      <fieldset className="stack options">
        <legend>Options</legend>
        <Check label="Create shipments" description="ship what each order has not shipped yet" isSelected={createShipments} onChange={setCreateShipments} />
        <Check
          label="Overwrite tracking numbers"
          description="replace an order's tracking number when it has another"
          isSelected={overwrite}
          onChange={setOverwrite}
        />
        <Select<OrderStatus | "NONE">
          label="Then set the order status"
          value={setStatus}
          onChange={setSetStatus}
          choices={[{ key: "NONE", label: "Leave the status" }, ...ORDER_STATUSES.map((key) => ({ key, label: words(key) }))]}
        />
      </fieldset>
      <Errors errors={errors} />
      <div className="row">
        <Button type="submit" variant="primary" isDisabled={!file || busy}>
          Import
        </Button>
      </div>
    </form>
  );
}

function RecentImports() {
  const pages = useForwardPages();
  const [{ data, fetching, error }] = useQuery({
    query: ImportsListDocument,
    variables: { first: 20, after: pages.after },
    requestPolicy: "cache-and-network",
  });
  const rows = data?.trackingImports.edges.map((edge) => edge.node) ?? [];
  return (
    <div className="stack">
      <h2>Recent imports</h2>
      {error && <p role="alert">{error.message}</p>}
      <div className="table-wrap">
        <table className="data" aria-label="Imports" aria-busy={fetching}>
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col">Started</th>
              <th scope="col">Status</th>
              <th scope="col">Rows</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id}>
                <th scope="row">
                  <Link to={`/imports/${encodeURIComponent(row.id)}`}>{row.filename}</Link>
                </th>
                <td>{dateTime(row.createdAt)}</td>
                <td>{words(row.status)}</td>
                <td>
                  {row.processedRows} of {row.totalRows ?? "?"}
                  {row.failed + row.skipped > 0 && <span className="muted"> ({row.failed} failed, {row.skipped} skipped)</span>}
                </td>
              </tr>
            ))}
            {rows.length === 0 && !fetching && (
              <tr>
                <td colSpan={4}>No imports yet.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <Pager pageInfo={pages.adapt(data?.trackingImports.pageInfo)} noun={["import", "imports"]} onMove={pages.onMove} />
    </div>
  );
}

const OUTCOMES: { key: TrackingImportOutcome | "ALL"; label: string }[] = [
  { key: "ALL", label: "All rows" },
  { key: "FAILED", label: "Failed" },
  { key: "SKIPPED", label: "Skipped" },
  { key: "UPDATED", label: "Updated" },
  { key: "SHIPPED", label: "Shipped" },
  { key: "UNCHANGED", label: "Unchanged" },
];

function ImportPage() {
  const { id = "" } = useParams();
  const { token } = useSession();
  const [outcome, setOutcome] = useState<TrackingImportOutcome | "ALL">("ALL");
  const pages = useForwardPages();
  const [saved, setSaved] = useState<string | null>(null);
  const [report, refetch] = useQuery({
    query: ImportReportDocument,
    variables: { id, first: 50, after: pages.after, outcome: outcome === "ALL" ? null : outcome },
    requestPolicy: "network-only",
  });
  const [live] = useSubscription({ query: ImportProgressDocument, variables: { id } }, (_, event) => {
    if (finished(event.trackingImportProgress.status)) refetch({ requestPolicy: "network-only" });
    return event;
  });
  const stored = report.data?.trackingImport;
  const now = live.data?.trackingImportProgress ?? stored;
  if (report.fetching && !report.data) return <p role="status">Loading…</p>;
  if (report.error) return <p role="alert">{report.error.message}</p>;
  if (!stored || !now) {
    return (
      <section className="stack">
        <h1>Import not found</h1>
        <Link to="/imports">All imports</Link>
      </section>
    );
  }
  const done = finished(now.status);
  const rows = stored.rows.edges.map((edge) => edge.node);
  return (
    <section aria-labelledby="import-title" className="stack">
      <p>
        <Link to="/imports">All imports</Link>
      </p>
      <h1 id="import-title">Import of {stored.filename}</h1>
      <ProgressBar
        className="progress"
        aria-label="Import progress"
        value={now.processedRows}
        minValue={0}
        maxValue={Math.max(now.totalRows ?? 0, 1)}
        isIndeterminate={!done && !now.totalRows}
      >
        {({ percentage }) => (
          <>
            <span>{progressText(now)}</span>
            <div className="progress-track">
              <div className="progress-fill" style={{ width: `${done ? 100 : (percentage ?? 0)}%` }} />
            </div>
          </>
        )}
      </ProgressBar>
      <p role="status" data-import-status={now.status}>
        {words(now.status)}: {now.updated} updated, {now.shipped} shipped, {now.unchanged} unchanged, {now.skipped} skipped, {now.failed}{" "}
        failed.
      </p>
      {now.status === "FAILED" ? (
        <div className="notice notice-warning stack" role="alert" aria-labelledby="import-failed-title">
          <h2 id="import-failed-title">The file could not be imported</h2>
          <p>{now.error || "The import stopped before reading any row."}</p>
          <p>
            No order was changed. Fix the file and <Link to="/imports">upload it again</Link>.
          </p>
        </div>
      ) : (
        now.error && <Notice tone="warning">{now.error}</Notice>
      )}
      {done && now.status !== "FAILED" && now.failed > 0 && (
        <h2 className="import-outcome">
          {now.failed} row{now.failed === 1 ? "" : "s"} failed
        </h2>
      )}
      {done && (
        <div className="stack">
          <div className="row">
            <Select label="Show" value={outcome} onChange={(next) => (setOutcome(next), pages.reset())} choices={OUTCOMES} />
            <Button
              onPress={async () => {
                const name = await download(stored.resultUrl, token, `tracking-import.csv`);
                setSaved(`Downloaded ${name}.`);
              }}
            >
              Download the report
            </Button>
            {saved && <span role="status">{saved}</span>}
          </div>
          {/* a card per row on a phone (styles.css, .cards-table) */}
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Import rows">
            <table className="data cards-table" role="table" aria-label="Import rows" aria-busy={report.fetching}>
              <thead role="rowgroup">
                <tr role="row">
                  <th scope="col" role="columnheader" className="num">
                    Line
                  </th>
                  <th scope="col" role="columnheader">Order</th>
                  <th scope="col" role="columnheader">Tracking number</th>
                  <th scope="col" role="columnheader">Outcome</th>
                  <th scope="col" role="columnheader">Message</th>
                </tr>
              </thead>
              <tbody role="rowgroup">
                {rows.map((row) => (
                  <tr key={row.line} role="row" data-outcome={row.outcome}>
                    <th scope="row" role="rowheader" className="num card-head" data-label="Line">
                      {row.line}
                    </th>
                    <td role="cell" data-label="Order">{/^\d+$/.test(row.orderNumber) ? <Link to={`/orders/${row.orderNumber}`}>{row.orderNumber}</Link> : row.orderNumber || "—"}</td>
                    <td role="cell" className="card-line" data-label="Tracking number">{row.trackingNumber || "—"}</td>
                    <td role="cell" className="card-end" data-label="Outcome">{words(row.outcome)}</td>
                    <td role="cell" className="card-line" data-label="Message">{row.message}</td>
                  </tr>
                ))}
                {rows.length === 0 && (
                  <tr role="row">
                    <td role="cell" colSpan={5}>No rows{outcome === "ALL" ? "" : ` ${words(outcome).toLowerCase()}`}.</td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
          <Pager pageInfo={pages.adapt(stored.rows.pageInfo)} total={stored.rows.totalCount} noun={["row", "rows"]} onMove={pages.onMove} />
        </div>
      )}
    </section>
  );
}
