// API tokens (STAFF_MANAGE): integrations' tokens with their permissions and last use; a new
// one is shown once; revoking one signs nothing in from the next request.
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { ApiTokensSettingsQuery, Permission } from "../gql/graphql";
import { dateTime, words } from "../lib/format";
import { useViewer } from "../lib/viewer";
import { Button, Dialog, Errors, Notice, TextField } from "../ui";
import { Check } from "../ui/Check";
import { Pager, useForwardPages } from "../ui/Pager";
import { expiryOf, grantable, PERMISSIONS } from "./settingsForms";
import { SecretOnce } from "./Webhooks";

const ApiTokensSettingsDocument = graphql(`
  query ApiTokensSettings($first: Int, $after: String) {
    apiTokens(first: $first, after: $after) {
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
      edges {
        node {
          id
          name
          permissions
          issuedBy
          createdAt
          expiresAt
          lastUsedAt
        }
      }
    }
  }
`);

const CreateApiTokenDocument = graphql(`
  mutation CreateApiToken($input: CreateApiTokenInput!) {
    createApiToken(input: $input) {
      token
      errors {
        code
        message
        field
      }
    }
  }
`);

const RevokeApiTokenDocument = graphql(`
  mutation RevokeApiToken($id: ID!) {
    revokeApiToken(id: $id) {
      revokedTokenId
      errors {
        code
        message
      }
    }
  }
`);

type Token = ApiTokensSettingsQuery["apiTokens"]["edges"][number]["node"];

export function ApiTokens() {
  const pages = useForwardPages();
  const [{ data, fetching, error }, refetch] = useQuery({ query: ApiTokensSettingsDocument, variables: { first: 50, after: pages.after }, requestPolicy: "cache-and-network" });
  const [done, setDone] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [shown, setShown] = useState<{ name: string; token: string } | null>(null);
  const reload = (message: string) => {
    setDone(message);
    refetch({ requestPolicy: "network-only" });
  };
  const tokens = data?.apiTokens.edges.map((edge) => edge.node) ?? [];
  return (
    <div className="stack">
      <div className="row">
        <h2>API tokens</h2>
        <span className="spacer" />
        <Button variant="primary" onPress={() => setCreating(true)}>
          New API token
        </Button>
      </div>
      <p className="muted">For integrations: a carrier's, a payment back end's. A token can hold only permissions you hold.</p>
      {done && <Notice tone="success">{done}</Notice>}
      {error && <p role="alert">{error.message}</p>}
      {/* a card per token on a phone (styles.css, .cards-table) */}
      <div className="table-wrap">
        <table className="data cards-table" role="table" aria-label="API tokens" aria-busy={fetching}>
          <thead role="rowgroup">
            <tr role="row">
              <th scope="col" role="columnheader">Name</th>
              <th scope="col" role="columnheader">Permissions</th>
              <th scope="col" role="columnheader">Issued</th>
              <th scope="col" role="columnheader">Last used</th>
              <th scope="col" role="columnheader">Expires</th>
              <th scope="col" role="columnheader">Actions</th>
            </tr>
          </thead>
          <tbody role="rowgroup">
            {tokens.map((token) => (
              <tr key={token.id} role="row">
                <th scope="row" role="rowheader" className="card-head card-line">{token.name}</th>
                <td role="cell" className="card-line" data-label="Permissions">{token.permissions.map(words).join(", ")}</td>
                <td role="cell" className="card-line" data-label="Issued">
                  {dateTime(token.createdAt)}
                  <div className="muted">by {token.issuedBy}</div>
                </td>
                <td role="cell" data-label="Last used">{token.lastUsedAt ? dateTime(token.lastUsedAt) : "Never"}</td>
                <td role="cell" data-label="Expires">{token.expiresAt ? dateTime(token.expiresAt) : "Never"}</td>
                <td role="cell" className="card-actions">
                  <RevokeToken token={token} onDone={reload} />
                </td>
              </tr>
            ))}
            {tokens.length === 0 && !fetching && (
              <tr role="row">
                <td role="cell" colSpan={6}>No API tokens.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <Pager pageInfo={pages.adapt(data?.apiTokens.pageInfo)} noun={["token", "tokens"]} onMove={pages.onMove} />
      {creating && (
        <CreateToken
          onClose={() => setCreating(false)}
          onCreated={(name, token) => {
            setCreating(false);
            setShown({ name, token });
            reload(`Issued ${name}.`);
          }}
        />
      )}
      {shown && <SecretOnce title="New API token" what={`The token ${shown.name}`} secret={shown.token} onClose={() => setShown(null)} />}
    </div>
  );
}

function CreateToken({ onClose, onCreated }: { onClose(): void; onCreated(name: string, token: string): void }) {
  const { me } = useViewer();
  const offered = grantable(PERMISSIONS, me.permissions);
  const [name, setName] = useState("");
  const [expires, setExpires] = useState("");
  const [chosen, setChosen] = useState<Set<Permission>>(new Set());
  const [{ data, fetching }, create] = useMutation(CreateApiTokenDocument);
  const toggle = (permission: Permission, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(permission);
    else next.delete(permission);
    setChosen(next);
  };
  return (
    <Dialog title="New API token" isOpen onOpenChange={(open) => !open && onClose()} wide>
      <form
        className="stack"
        onSubmit={async (event) => {
          event.preventDefault();
          const input = { name, permissions: offered.filter((p) => chosen.has(p)), expiresAt: expiryOf(expires) };
          const result = await create({ input });
          const token = result.data?.createApiToken.token;
          if (token) onCreated(name.trim(), token);
        }}
      >
        <TextField label="Name" value={name} onChange={setName} description="Who uses it, e.g. carrier-import." isRequired />
        <fieldset className="options">
          <legend>Permissions</legend>
          <div className="checks">
            {offered.map((permission) => (
              <Check key={permission} label={words(permission)} isSelected={chosen.has(permission)} onChange={(on) => toggle(permission, on)} />
            ))}
          </div>
        </fieldset>
        <div className="field">
          <label htmlFor="token-expires">Expires after</label>
          <input id="token-expires" type="date" value={expires} onChange={(event) => setExpires(event.target.value)} />
          <span className="muted">Empty: never.</span>
        </div>
        <Errors errors={data?.createApiToken.errors} />
        <div className="dialog-buttons">
          <Button onPress={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" isDisabled={fetching || chosen.size === 0 || !name.trim()}>
            Issue token
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

function RevokeToken({ token, onDone }: { token: Token; onDone(message: string): void }) {
  const [open, setOpen] = useState(false);
  const [{ fetching, data }, revoke] = useMutation(RevokeApiTokenDocument);
  return (
    <>
      <Button variant="quiet" onPress={() => setOpen(true)} aria-label={`Revoke ${token.name}`}>
        Revoke
      </Button>
      <Dialog title="Revoke API token" isOpen={open} onOpenChange={setOpen}>
        <p>Revoke {token.name}? Whatever uses it is refused from its next request.</p>
        <Errors errors={data?.revokeApiToken.errors} />
        <div className="dialog-buttons">
          <Button onPress={() => setOpen(false)}>Keep it</Button>
          <Button
            variant="danger"
            isDisabled={fetching}
            onPress={async () => {
              const result = await revoke({ id: token.id });
              if (result.data?.revokeApiToken.revokedTokenId) {
                setOpen(false);
                onDone(`Revoked ${token.name}.`);
              }
            }}
          >
            Revoke token
          </Button>
        </div>
      </Dialog>
    </>
  );
}
