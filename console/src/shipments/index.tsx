// The shipments list: "use the shipments list to quickly find out when an order was shipped,
// to whom, and where". A shipment made by mistake can be deleted; the order is not changed.
import { useState } from "react";
import { Input, Label, SearchField } from "react-aria-components";
import { Link } from "react-router";
import { useMutation, useQuery, useSubscription } from "urql";
import { graphql } from "../gql";
import type { ShipmentsListQuery } from "../gql/graphql";
import { dateTime } from "../lib/format";
import { useOnReconnect } from "../lib/live";
import { useViewer } from "../lib/viewer";
import { Button, Dialog, Errors, Notice } from "../ui";
import "../ui/screens.css";
import { pageArguments, Pager, type PageAt } from "../ui/Pager";
import { carrierLine, itemsLine, placeLine } from "./shipmentText";

const ShipmentsListDocument = graphql(`
  query ShipmentsList($first: Int, $after: String, $last: Int, $before: String, $filter: ShipmentFilterInput) {
    shipments(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
      totalCount
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
      edges {
        node {
          id
          createdAt
          createdBy
          trackingNumber
          carrier
          carrierName
          trackingUrl
          shippingMethod
          shippedTo {
            firstName
            lastName
            company
            city
            state
            country
          }
          items {
            sku
            name
            quantity
          }
          order {
            id
            number
          }
        }
      }
    }
  }
`);

const ShipmentsLiveDocument = graphql(`
  subscription ShipmentsLive {
    orderEvents {
      id
      type
    }
  }
`);

const DeleteShipmentDocument = graphql(`
  mutation DeleteShipment($id: ID!) {
    deleteShipment(id: $id) {
      deletedShipmentId
      order {
        id
        number
        status
        trackingNumber
      }
      errors {
        code
        message
      }
    }
  }
`);

type Row = ShipmentsListQuery["shipments"]["edges"][number]["node"];
const PAGE_SIZE = 50;
const LIVE_TYPES = new Set(["SHIPMENT_CREATED", "SHIPMENT_DELETED"]);

export default function ShipmentsScreen() {
  const [search, setSearch] = useState("");
  const [at, setAt] = useState<PageAt>({});
  const variables = { ...pageArguments(at, PAGE_SIZE), filter: search ? { search } : null };
  const [{ data, fetching, error }, refetch] = useQuery({ query: ShipmentsListDocument, variables });
  const reload = () => refetch({ requestPolicy: "network-only" });
  useSubscription({ query: ShipmentsLiveDocument }, (_, event) => {
    if (LIVE_TYPES.has(event.orderEvents.type)) reload();
    return event;
  });
  useOnReconnect(reload);
  const rows = data?.shipments.edges.map((edge) => edge.node) ?? [];
  const [deleted, setDeleted] = useState<string | null>(null);
  return (
    <section aria-labelledby="shipments-title" className="stack">
      <h1 id="shipments-title">Shipments</h1>
      <div className="row filters">
        <SearchField
          className="field search"
          value={search}
          onChange={(value) => {
            setSearch(value.trim());
            setAt({});
          }}
        >
          <Label>Search shipments</Label>
          <Input placeholder="Tracking number, order number or name" />
        </SearchField>
      </div>
      {deleted && <Notice tone="success">{deleted}</Notice>}
      {error && <p role="alert">{error.message}</p>}
      <ShipmentsTable rows={rows} busy={fetching} onDeleted={(message) => (setDeleted(message), reload())} />
      <Pager pageInfo={data?.shipments.pageInfo} total={data?.shipments.totalCount} noun={["shipment", "shipments"]} onMove={setAt} />
    </section>
  );
}

function ShipmentsTable({ rows, busy, onDeleted }: { rows: Row[]; busy: boolean; onDeleted(message: string): void }) {
  const { can } = useViewer();
  const deletable = can("SHIPMENTS_WRITE");
  return (
    <div className="table-wrap">
      {/* a card per shipment on a phone (styles.css, .cards-table), as on the order page */}
      <table className="data cards-table" role="table" aria-label="Shipments" aria-busy={busy}>
        <thead role="rowgroup">
          <tr role="row">
            <th scope="col" role="columnheader">Shipped</th>
            <th scope="col" role="columnheader">Order</th>
            <th scope="col" role="columnheader">To</th>
            <th scope="col" role="columnheader">Where</th>
            <th scope="col" role="columnheader">Carrier and tracking</th>
            <th scope="col" role="columnheader">Items</th>
            {deletable && <th scope="col" role="columnheader">Actions</th>}
          </tr>
        </thead>
        <tbody role="rowgroup">
          {rows.map((row) => (
            <tr key={row.id} role="row">
              <td role="cell" className="card-line" data-label="Shipped">
                {dateTime(row.createdAt)}
                <br />
                <span className="muted">by {row.createdBy}</span>
              </td>
              <th scope="row" role="rowheader" className="card-head" data-label="Order">
                <Link to={`/orders/${row.order.number}`}>{row.order.number}</Link>
              </th>
              <td role="cell" className="card-line" data-label="To">
                {row.shippedTo.firstName} {row.shippedTo.lastName}
                {row.shippedTo.company && <span className="muted"> ({row.shippedTo.company})</span>}
              </td>
              <td role="cell" className="card-line" data-label="Where">{placeLine(row.shippedTo)}</td>
              <td role="cell" className="card-line" data-label="Carrier and tracking">
                {carrierLine(row)}
                {row.trackingNumber && (
                  <>
                    <br />
                    {row.trackingUrl ? (
                      <a href={row.trackingUrl} target="_blank" rel="noreferrer noopener">
                        {row.trackingNumber}
                      </a>
                    ) : (
                      row.trackingNumber
                    )}
                  </>
                )}
              </td>
              <td role="cell" className="card-line" data-label="Items">{itemsLine(row.items)}</td>
              {deletable && (
                <td role="cell" className="card-actions">
                  <DeleteShipment shipment={row} onDeleted={onDeleted} />
                </td>
              )}
            </tr>
          ))}
          {rows.length === 0 && !busy && (
            <tr role="row">
              <td role="cell" colSpan={deletable ? 7 : 6}>No shipments match.</td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

function DeleteShipment({ shipment, onDeleted }: { shipment: Row; onDeleted(message: string): void }) {
  const [open, setOpen] = useState(false);
  const [{ fetching, data }, remove] = useMutation(DeleteShipmentDocument);
  const label = shipment.trackingNumber ? `shipment ${shipment.trackingNumber}` : `the shipment of order ${shipment.order.number}`;
  return (
    <>
      <Button variant="quiet" onPress={() => setOpen(true)} aria-label={`Delete ${label}`}>
        Delete
      </Button>
      <Dialog title="Delete shipment" isOpen={open} onOpenChange={setOpen}>
        <p>
          Delete {label}, shipped to {shipment.shippedTo.firstName} {shipment.shippedTo.lastName} on {dateTime(shipment.createdAt)}?
        </p>
        <Notice>
          The order is not changed: order {shipment.order.number} keeps its status, tracking number and notes. The shipment's items
          become shippable again.
        </Notice>
        <Errors errors={data?.deleteShipment.errors} />
        <div className="dialog-buttons">
          <Button onPress={() => setOpen(false)}>Keep it</Button>
          <Button
            variant="danger"
            isDisabled={fetching}
            onPress={async () => {
              const result = await remove({ id: shipment.id });
              const payload = result.data?.deleteShipment;
              if (payload && payload.errors.length === 0) {
                setOpen(false);
                onDeleted(`Deleted ${label}. Order ${shipment.order.number} is unchanged.`);
              }
            }}
          >
            Delete shipment
          </Button>
        </div>
      </Dialog>
    </>
  );
}
