// Webhooks (WEBHOOKS_MANAGE): where the store posts events, the signing secret shown once,
// each webhook's deliveries and a redelivery, pausing and deleting.
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { WebhookDeliveryStatus, WebhooksSettingsQuery } from "../gql/graphql";
import { dateTime, words } from "../lib/format";
import { Button, Dialog, Errors, Notice, Select, TextField } from "../ui";
import { Check } from "../ui/Check";
import { Pager, useForwardPages } from "../ui/Pager";

const WebhooksSettingsDocument = graphql(`
  query WebhooksSettings {
    webhookEvents
    webhooks(first: 50) {
      edges {
        node {
          id
          url
          events
          active
          description
          createdAt
          consecutiveFailures
          failingSince
          disabledAt
          disabledReason
        }
      }
    }
  }
`);

const CreateWebhookDocument = graphql(`
  mutation CreateWebhook($input: CreateWebhookInput!) {
    createWebhook(input: $input) {
      webhook {
        id
        url
      }
      secret
      errors {
        code
        message
        field
      }
    }
  }
`);

const UpdateWebhookDocument = graphql(`
  mutation UpdateWebhook($id: ID!, $input: UpdateWebhookInput!) {
    updateWebhook(id: $id, input: $input) {
      webhook {
        id
        active
      }
      errors {
        code
        message
      }
    }
  }
`);

const DeleteWebhookDocument = graphql(`
  mutation DeleteWebhook($id: ID!) {
    deleteWebhook(id: $id) {
      deletedId
      errors {
        code
        message
      }
    }
  }
`);

const WebhookDeliveriesDocument = graphql(`
  query WebhookDeliveries($webhookId: ID!, $status: WebhookDeliveryStatus, $first: Int, $after: String) {
    webhookDeliveries(webhookId: $webhookId, status: $status, first: $first, after: $after) {
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
      edges {
        node {
          id
          event
          status
          attempts
          responseStatus
          lastError
          createdAt
          deliveredAt
          nextAttemptAt
        }
      }
    }
  }
`);

const RedeliverWebhookDocument = graphql(`
  mutation RedeliverWebhook($deliveryId: ID!) {
    redeliverWebhook(deliveryId: $deliveryId) {
      delivery {
        id
        status
      }
      errors {
        code
        message
      }
    }
  }
`);

type Hook = WebhooksSettingsQuery["webhooks"]["edges"][number]["node"];

export function Webhooks() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: WebhooksSettingsDocument, requestPolicy: "cache-and-network" });
  const [done, setDone] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [watching, setWatching] = useState<Hook | null>(null);
  const reload = (message: string) => {
    setDone(message);
    refetch({ requestPolicy: "network-only" });
  };
  const hooks = data?.webhooks.edges.map((edge) => edge.node) ?? [];
  return (
    <div className="stack">
      <div className="row">
        <h2>Webhooks</h2>
        <span className="spacer" />
        <Button variant="primary" onPress={() => setCreating(true)}>
          New webhook
        </Button>
      </div>
      {done && <Notice tone="success">{done}</Notice>}
      {error && <p role="alert">{error.message}</p>}
      {/* a card per webhook on a phone (styles.css, .cards-table) */}
      <div className="table-wrap">
        <table className="data cards-table" role="table" aria-label="Webhooks" aria-busy={fetching}>
          <thead role="rowgroup">
            <tr role="row">
              <th scope="col" role="columnheader">Address</th>
              <th scope="col" role="columnheader">Events</th>
              <th scope="col" role="columnheader">State</th>
              <th scope="col" role="columnheader">Actions</th>
            </tr>
          </thead>
          <tbody role="rowgroup">
            {hooks.map((hook) => (
              <tr key={hook.id} role="row">
                <th scope="row" role="rowheader" className="card-head card-line">
                  {hook.url}
                  {hook.description && <div className="muted">{hook.description}</div>}
                </th>
                <td role="cell" className="card-line" data-label="Events">{hook.events.join(", ")}</td>
                <td role="cell" className="card-line" data-label="State">
                  {hook.active ? "Active" : hook.disabledAt ? `Disabled ${dateTime(hook.disabledAt)}: ${hook.disabledReason ?? ""}` : "Paused"}
                  {hook.consecutiveFailures > 0 && <div className="muted">{hook.consecutiveFailures} failures in a row</div>}
                </td>
                <td role="cell" className="row card-actions">
                  <Button onPress={() => setWatching(hook)} aria-label={`Deliveries of ${hook.url}`}>
                    Deliveries
                  </Button>
                  <PauseWebhook hook={hook} onDone={reload} />
                  <DeleteWebhook hook={hook} onDone={reload} />
                </td>
              </tr>
            ))}
            {hooks.length === 0 && !fetching && (
              <tr role="row">
                <td role="cell" colSpan={4}>No webhooks yet.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {creating && (
        <CreateWebhook
          events={data?.webhookEvents ?? []}
          onClose={() => setCreating(false)}
          onCreated={(url, made) => {
            setCreating(false);
            setSecret({ url, secret: made });
            reload(`Created the webhook for ${url}.`);
          }}
        />
      )}
      {secret && <SecretOnce title="Webhook secret" what={`The signing secret of ${secret.url}`} secret={secret.secret} onClose={() => setSecret(null)} />}
      {watching && <Deliveries hook={watching} onClose={() => setWatching(null)} />}
    </div>
  );
}

/** A secret the API shows once: read it now, it is not kept anywhere to show again. */
export function SecretOnce({ title, what, secret, onClose }: { title: string; what: string; secret: string; onClose(): void }) {
  const [copied, setCopied] = useState(false);
  return (
    <Dialog title={title} isOpen onOpenChange={(open) => !open && onClose()}>
      <Notice tone="warning">{what} is shown this once. Copy it now: the store keeps only a hash of it and cannot show it again.</Notice>
      <output className="secret" aria-label={title}>
        {secret}
      </output>
      <div className="dialog-buttons">
        <Button
          onPress={async () => {
            await navigator.clipboard?.writeText(secret).catch(() => undefined);
            setCopied(true);
          }}
        >
          {copied ? "Copied" : "Copy"}
        </Button>
        <Button variant="primary" onPress={onClose}>
          I have saved it
        </Button>
      </div>
    </Dialog>
  );
}

function CreateWebhook({ events, onClose, onCreated }: { events: string[]; onClose(): void; onCreated(url: string, secret: string): void }) {
  const [url, setUrl] = useState("https://");
  const [description, setDescription] = useState("");
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [{ data, fetching }, create] = useMutation(CreateWebhookDocument);
  const toggle = (event: string, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(event);
    else next.delete(event);
    setChosen(next);
  };
  return (
    <Dialog title="New webhook" isOpen onOpenChange={(open) => !open && onClose()} wide>
      <form
        className="stack"
        onSubmit={async (event) => {
          event.preventDefault();
          const result = await create({ input: { url, description, events: events.filter((e) => chosen.has(e)) } });
          const payload = result.data?.createWebhook;
          if (payload?.webhook && payload.secret) onCreated(payload.webhook.url, payload.secret);
        }}
      >
        <TextField label="Address" value={url} onChange={setUrl} type="url" description="Where the store posts events (HTTPS)." isRequired />
        <TextField label="Description" value={description} onChange={setDescription} />
        <fieldset className="options">
          <legend>Events</legend>
          <div className="checks">
            {events.map((name) => (
              <Check key={name} label={name} isSelected={chosen.has(name)} onChange={(on) => toggle(name, on)} />
            ))}
          </div>
        </fieldset>
        <Errors errors={data?.createWebhook.errors} />
        <div className="dialog-buttons">
          <Button onPress={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" isDisabled={fetching || chosen.size === 0}>
            Create webhook
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

function PauseWebhook({ hook, onDone }: { hook: Hook; onDone(message: string): void }) {
  const [{ fetching, data }, update] = useMutation(UpdateWebhookDocument);
  const next = !hook.active;
  return (
    <>
      <Button
        isDisabled={fetching}
        onPress={async () => {
          const result = await update({ id: hook.id, input: { active: next } });
          if (result.data?.updateWebhook.webhook) onDone(next ? `Resumed ${hook.url}.` : `Paused ${hook.url}.`);
        }}
      >
        {next ? "Resume" : "Pause"}
      </Button>
      <Errors errors={data?.updateWebhook.errors} />
    </>
  );
}

function DeleteWebhook({ hook, onDone }: { hook: Hook; onDone(message: string): void }) {
  const [open, setOpen] = useState(false);
  const [{ fetching, data }, remove] = useMutation(DeleteWebhookDocument);
  return (
    <>
      <Button variant="quiet" onPress={() => setOpen(true)} aria-label={`Delete ${hook.url}`}>
        Delete
      </Button>
      <Dialog title="Delete webhook" isOpen={open} onOpenChange={setOpen}>
        <p>Stop posting events to {hook.url}, and forget its deliveries?</p>
        <Errors errors={data?.deleteWebhook.errors} />
        <div className="dialog-buttons">
          <Button onPress={() => setOpen(false)}>Keep it</Button>
          <Button
            variant="danger"
            isDisabled={fetching}
            onPress={async () => {
              const result = await remove({ id: hook.id });
              if (result.data?.deleteWebhook.deletedId) {
                setOpen(false);
                onDone(`Deleted the webhook for ${hook.url}.`);
              }
            }}
          >
            Delete webhook
          </Button>
        </div>
      </Dialog>
    </>
  );
}

const DELIVERY_STATUSES: { key: WebhookDeliveryStatus | "ANY"; label: string }[] = [
  { key: "ANY", label: "Any" },
  { key: "PENDING", label: "Pending" },
  { key: "RETRYING", label: "Retrying" },
  { key: "SUCCEEDED", label: "Succeeded" },
  { key: "FAILED", label: "Failed" },
];

function Deliveries({ hook, onClose }: { hook: Hook; onClose(): void }) {
  const [status, setStatus] = useState<WebhookDeliveryStatus | "ANY">("ANY");
  const pages = useForwardPages();
  const [{ data, fetching, error }, refetch] = useQuery({
    query: WebhookDeliveriesDocument,
    variables: { webhookId: hook.id, status: status === "ANY" ? null : status, first: 20, after: pages.after },
    requestPolicy: "network-only",
  });
  const [redelivered, redeliver] = useMutation(RedeliverWebhookDocument);
  const [done, setDone] = useState<string | null>(null);
  const rows = data?.webhookDeliveries.edges.map((edge) => edge.node) ?? [];
  return (
    <Dialog title={`Deliveries to ${hook.url}`} isOpen onOpenChange={(open) => !open && onClose()} wide>
      <div className="row">
        <Select label="Status" value={status} onChange={(next) => (setStatus(next), pages.reset())} choices={DELIVERY_STATUSES} />
        <Button onPress={() => refetch({ requestPolicy: "network-only" })}>Refresh</Button>
      </div>
      {done && <Notice tone="success">{done}</Notice>}
      <Errors errors={redelivered.data?.redeliverWebhook.errors} />
      {error && <p role="alert">{error.message}</p>}
      {/* a card per delivery on a phone (styles.css, .cards-table) */}
      <div className="table-wrap">
        <table className="data cards-table" role="table" aria-label="Deliveries" aria-busy={fetching}>
          <thead role="rowgroup">
            <tr role="row">
              <th scope="col" role="columnheader">Event</th>
              <th scope="col" role="columnheader">Made</th>
              <th scope="col" role="columnheader">Status</th>
              <th scope="col" role="columnheader">Answer</th>
              <th scope="col" role="columnheader">Actions</th>
            </tr>
          </thead>
          <tbody role="rowgroup">
            {rows.map((row) => (
              <tr key={row.id} role="row">
                <th scope="row" role="rowheader" className="card-head">{row.event}</th>
                <td role="cell" className="card-line" data-label="Made">{dateTime(row.createdAt)}</td>
                <td role="cell" className="card-line" data-label="Status">
                  {words(row.status)} ({row.attempts} attempt{row.attempts === 1 ? "" : "s"})
                  {row.nextAttemptAt && <div className="muted">next {dateTime(row.nextAttemptAt)}</div>}
                </td>
                <td role="cell" className="card-line" data-label="Answer">{row.responseStatus ?? row.lastError ?? "—"}</td>
                <td role="cell" className="card-actions">
                  <Button
                    isDisabled={redelivered.fetching}
                    onPress={async () => {
                      const result = await redeliver({ deliveryId: row.id });
                      if (result.data?.redeliverWebhook.delivery) {
                        setDone(`Sending ${row.event} again.`);
                        refetch({ requestPolicy: "network-only" });
                      }
                    }}
                    aria-label={`Redeliver ${row.event} of ${dateTime(row.createdAt)}`}
                  >
                    Redeliver
                  </Button>
                </td>
              </tr>
            ))}
            {rows.length === 0 && !fetching && (
              <tr role="row">
                <td role="cell" colSpan={5}>No deliveries.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <Pager pageInfo={pages.adapt(data?.webhookDeliveries.pageInfo)} noun={["delivery", "deliveries"]} onMove={pages.onMove} />
      <div className="dialog-buttons">
        <Button onPress={onClose}>Close</Button>
      </div>
    </Dialog>
  );
}
