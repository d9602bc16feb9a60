// The "Change status" dialog for a selection of orders: bulkUpdateOrders hands the orders to
// a worker, and its progress is shown until every order has an outcome. Its own chunk, loaded
// when orders are first selected (BulkStatus.tsx), so the orders list starts without the
// dialog and select widgets.
import { useState } from "react";
import { Label, ProgressBar } from "react-aria-components";
import { useClient } from "urql";
import { graphql } from "../gql";
import type { BulkProgressQuery, OrderStatus } from "../gql/graphql";
import { idempotencyKey, ORDER_STATUSES, words } from "../lib/format";
import { pollUntil } from "../lib/poll";
import { Button, Dialog, Errors, Notice, Select, TextField } from "../ui";
import { statusWarning } from "./statusWarnings";

const BulkUpdateDocument = graphql(`
  mutation BulkUpdateOrders($input: BulkUpdateOrdersInput!, $key: String) {
    bulkUpdateOrders(input: $input, idempotencyKey: $key) {
      bulkOperation {
        id
        status
        total
        processed
      }
      errors {
        code
        message
      }
    }
  }
`);

const BulkProgressDocument = graphql(`
  query BulkProgress($id: ID!) {
    bulkOperation(id: $id) {
      id
      status
      targetStatus
      total
      processed
      succeeded
      failed
      rows(first: 100) {
        edges {
          node {
            orderNumber
            outcome
            message
          }
        }
      }
    }
  }
`);

type Operation = NonNullable<BulkProgressQuery["bulkOperation"]>;

export default function BulkStatusDialog({ orderIds, onDone, onClose }: { orderIds: string[]; onDone(): void; onClose(): void }) {
  const client = useClient();
  const [status, setStatus] = useState<OrderStatus>("CANCELLED");
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState<{ message: string }[] | null>(null);
  const [operation, setOperation] = useState<Operation | null>(null);
  const [running, setRunning] = useState(false);
  const warning = statusWarning(status);

  async function apply() {
    setErrors(null);
    setRunning(true);
    setOperation(null);
    try {
      const made = await client
        .mutation(BulkUpdateDocument, { input: { orderIds, status, note }, key: idempotencyKey() })
        .toPromise();
      const bulk = made.data?.bulkUpdateOrders.bulkOperation;
      if (!bulk) {
        setErrors(made.data?.bulkUpdateOrders.errors ?? [{ message: made.error?.message ?? "Refused." }]);
        return;
      }
      await pollUntil(
        client,
        BulkProgressDocument,
        { id: bulk.id },
        (data) => data.bulkOperation?.status === "SUCCEEDED" || data.bulkOperation?.status === "FAILED",
        (data) => setOperation(data.bulkOperation ?? null),
      );
      onDone();
    } catch (error) {
      setErrors([{ message: error instanceof Error ? error.message : String(error) }]);
    } finally {
      setRunning(false);
    }
  }

  const failedRows = operation?.rows.edges.filter((edge) => edge.node.outcome === "FAILED") ?? [];
  return (
    <Dialog title="Change status of selected orders" isOpen onOpenChange={(next) => !next && !running && onClose()}>
        <p>
          {orderIds.length} order{orderIds.length === 1 ? "" : "s"} selected.
        </p>
        <Select<OrderStatus>
          label="New status"
          value={status}
          onChange={setStatus}
          isDisabled={running}
          choices={ORDER_STATUSES.map((key) => ({ key, label: words(key) }))}
        />
        {warning && <Notice tone="warning">{warning}</Notice>}
        <TextField label="Note on each order (staff only)" value={note} onChange={setNote} isDisabled={running} />
        <Errors errors={errors} />
        {operation && (
          <div className="stack">
            <ProgressBar value={operation.processed} maxValue={Math.max(operation.total, 1)} className="progress">
              {({ percentage }) => (
                <>
                  <Label>Changing status</Label>
                  <span className="muted">
                    {operation.processed} of {operation.total} orders
                  </span>
                  <div className="progress-track">
                    <div className="progress-fill" style={{ width: `${percentage ?? 0}%` }} />
                  </div>
                </>
              )}
            </ProgressBar>
            {(operation.status === "SUCCEEDED" || operation.status === "FAILED") && (
              <Notice tone={operation.failed ? "warning" : "success"}>
                Done: {operation.succeeded} moved to {words(operation.targetStatus)}, {operation.failed} failed.
              </Notice>
            )}
            {failedRows.length > 0 && (
              <ul aria-label="Orders that failed">
                {failedRows.map(({ node }) => (
                  <li key={node.orderNumber}>
                    Order {node.orderNumber}: {node.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
        <div className="dialog-buttons">
          <Button onPress={onClose} isDisabled={running}>
            Close
          </Button>
          <Button variant="primary" onPress={apply} isPending={running} isDisabled={running || orderIds.length === 0}>
            {`Change ${orderIds.length} order${orderIds.length === 1 ? "" : "s"}`}
          </Button>
        </div>
    </Dialog>
  );
}
