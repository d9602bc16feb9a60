import { useEffect, useState } from "react";
import { Form, Label, Radio, RadioGroup } from "react-aria-components";
import { useClient } from "urql";
import { graphql } from "../gql";
import type { EventVisibility } from "../gql/graphql";
import { dateTime } from "../lib/format";
import { useViewer } from "../lib/viewer";
import { Button, Errors, Notice, TextField } from "../ui";
import { outcome, type OrderView, type UserErrorLike } from "./orderQuery";
import { eventMessage, eventTitle, visibilityLabel } from "./timelineText";

const SaveStaffNotesDocument = graphql(`
  mutation SaveStaffNotes($id: ID!, $notes: String!, $version: Int!) {
    updateOrder(id: $id, input: { staffNotes: $notes, expectedVersion: $version }) {
      order {
        id
        version
        staffNotes
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

const AddNoteDocument = graphql(`
  mutation AddOrderNote($orderId: ID!, $message: String!, $visibility: EventVisibility) {
    addOrderNote(orderId: $orderId, message: $message, visibility: $visibility) {
      order {
        id
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

export function StaffNotes({ order, reload }: { order: OrderView; reload(): void }) {
  const { can } = useViewer();
  const client = useClient();
  const [text, setText] = useState(order.staffNotes ?? "");
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [saved, setSaved] = useState(false);
  const [saving, setSaving] = useState(false);
  useEffect(() => setText(order.staffNotes ?? ""), [order.staffNotes]);

  async function save() {
    setSaving(true);
    setSaved(false);
    const result = await client.mutation(SaveStaffNotesDocument, { id: order.id, notes: text, version: order.version }).toPromise();
    const found = outcome(result, result.data?.updateOrder);
    setErrors(found);
    setSaving(false);
    if (found.length === 0) setSaved(true);
    reload();
  }

  const conflict = errors.some((e) => e.code === "VERSION_CONFLICT");
  return (
    <section aria-labelledby="staff-notes-title" className="panel stack staff-notes">
      <h2 id="staff-notes-title">Staff notes</h2>
      <p>
        <span className="badge badge-staff">Staff only</span> Never shown to the customer: not on the tracking page, in emails or on
        documents.
      </p>
      {can("ORDERS_WRITE") ? (
        <Form
          className="stack"
          onSubmit={(event) => {
            event.preventDefault();
            void save();
          }}
        >
          <TextField label="Staff notes" multiline value={text} onChange={setText} />
          <Errors errors={errors} />
          {conflict && (
            <Button onPress={() => { setErrors([]); reload(); }}>Reload the order</Button>
          )}
          {saved && <Notice tone="success">Staff notes saved.</Notice>}
          <div>
            <Button type="submit" isPending={saving}>
              Save notes
            </Button>
          </div>
        </Form>
      ) : (
        <p>{order.staffNotes || <span className="muted">None.</span>}</p>
      )}
    </section>
  );
}

export function Timeline({ order, reload }: { order: OrderView; reload(): void }) {
  const { canAny } = useViewer();
  const client = useClient();
  const [message, setMessage] = useState("");
  const [visibility, setVisibility] = useState<EventVisibility>("STAFF");
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [adding, setAdding] = useState(false);
  const events = order.events.edges.map((edge) => edge.node);

  async function add() {
    setAdding(true);
    const result = await client.mutation(AddNoteDocument, { orderId: order.id, message, visibility }).toPromise();
    const found = outcome(result, result.data?.addOrderNote);
    setErrors(found);
    setAdding(false);
    if (found.length === 0) setMessage("");
    reload();
  }

  return (
    <section aria-labelledby="timeline-title" className="panel stack">
      <h2 id="timeline-title">Timeline</h2>
      <ol className="timeline" aria-label="Events">
        {events.map((event) => (
          <li key={event.id} data-visibility={event.visibility} data-type={event.type}>
            <strong>{eventTitle(event.type)}</strong>{" "}
            <span className={`badge badge-${event.visibility.toLowerCase()}`}>{visibilityLabel(event.visibility)}</span>
            <br />
            {eventMessage(event.message)}
            <br />
            <span className="muted">
              <time dateTime={event.createdAt}>{dateTime(event.createdAt)}</time>
              {event.actor === "system" ? ", automatically" : event.actor === "guest" ? ", by the customer" : `, by ${event.actor}`}
            </span>
          </li>
        ))}
      </ol>
      {order.events.totalCount > events.length && (
        <p className="muted">The first {events.length} of {order.events.totalCount} events are shown.</p>
      )}
      {canAny("ORDERS_WRITE", "SHIPMENTS_WRITE", "RETURNS_WRITE") && (
        <Form
          className="stack"
          onSubmit={(event) => {
            event.preventDefault();
            void add();
          }}
        >
          <TextField label="Note" multiline value={message} onChange={setMessage} isRequired />
          <RadioGroup value={visibility} onChange={(v) => setVisibility(v as EventVisibility)} className="field">
            <Label>Visibility</Label>
            <div className="radio-group">
              <Radio value="STAFF" className="radio">
                Staff only
              </Radio>
              <Radio value="PUBLIC" className="radio">
                Public: the customer sees it
              </Radio>
            </div>
          </RadioGroup>
          <Errors errors={errors} />
          <div>
            <Button type="submit" isPending={adding}>
              Add note
            </Button>
          </div>
        </Form>
      )}
    </section>
  );
}
