// Staff (STAFF_MANAGE): who works in the back office and in which role; add someone, change
// a role, deactivate and reactivate. The API keeps an active admin (LAST_ADMIN).
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { Role, StaffSettingsQuery } from "../gql/graphql";
import { dateTime, words } from "../lib/format";
import { useViewer } from "../lib/viewer";
import { Button, Dialog, Errors, Notice, Select, TextField } from "../ui";
import { Pager, useForwardPages } from "../ui/Pager";

const StaffSettingsDocument = graphql(`
  query StaffSettings($first: Int, $after: String) {
    staffUsers(first: $first, after: $after) {
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
          email
          role
          firstName
          lastName
          active
          createdAt
        }
      }
    }
  }
`);

const CreateStaffUserDocument = graphql(`
  mutation CreateStaffUser($input: CreateStaffUserInput!) {
    createStaffUser(input: $input) {
      staffUser {
        id
        email
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

const SetStaffRoleDocument = graphql(`
  mutation SetStaffRole($id: ID!, $role: Role!) {
    setStaffRole(id: $id, role: $role) {
      staffUser {
        id
        role
      }
      errors {
        code
        message
      }
    }
  }
`);

const DeactivateStaffUserDocument = graphql(`
  mutation DeactivateStaffUser($id: ID!) {
    deactivateStaffUser(id: $id) {
      staffUser {
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

const ReactivateStaffUserDocument = graphql(`
  mutation ReactivateStaffUser($id: ID!) {
    reactivateStaffUser(id: $id) {
      staffUser {
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

type Member = StaffSettingsQuery["staffUsers"]["edges"][number]["node"];

export const ROLES: { key: Role; label: string; does: string }[] = [
  { key: "ADMIN", label: "Admin", does: "everything, staff and settings included" },
  { key: "SUPPORT", label: "Support", does: "orders, returns, payments and documents" },
  { key: "FULFILLMENT", label: "Fulfillment", does: "shipping, tracking imports and documents" },
];

export function Staff() {
  const { me } = useViewer();
  const pages = useForwardPages();
  const [{ data, fetching, error }, refetch] = useQuery({ query: StaffSettingsDocument, variables: { first: 50, after: pages.after }, requestPolicy: "cache-and-network" });
  const [done, setDone] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [problem, setProblem] = useState<{ message: string }[] | null>(null);
  const reload = (message: string) => {
    setDone(message);
    setProblem(null);
    refetch({ requestPolicy: "network-only" });
  };
  const [role, setRole] = useMutation(SetStaffRoleDocument);
  const [off, deactivate] = useMutation(DeactivateStaffUserDocument);
  const [on, reactivate] = useMutation(ReactivateStaffUserDocument);
  const busy = role.fetching || off.fetching || on.fetching;
  const act = async (run: () => Promise<{ errors: { message: string }[] } | undefined>, message: string) => {
    const payload = await run();
    if (payload && payload.errors.length === 0) reload(message);
    else setProblem(payload?.errors ?? [{ message: "The change was refused." }]);
  };
  const members = data?.staffUsers.edges.map((edge) => edge.node) ?? [];
  return (
    <div className="stack">
      <div className="row">
        <h2>Staff</h2>
        <span className="spacer" />
        <Button variant="primary" onPress={() => setAdding(true)}>
          Add staff
        </Button>
      </div>
      <ul className="muted">
        {ROLES.map((r) => (
          <li key={r.key}>
            {r.label}: {r.does}.
          </li>
        ))}
      </ul>
      {done && <Notice tone="success">{done}</Notice>}
      <Errors errors={problem} />
      {error && <p role="alert">{error.message}</p>}
      {/* a card per person on a phone (styles.css, .cards-table); the role's field keeps its label */}
      <div className="table-wrap">
        <table className="data cards-table" role="table" aria-label="Staff" aria-busy={fetching}>
          <thead role="rowgroup">
            <tr role="row">
              <th scope="col" role="columnheader">Email</th>
              <th scope="col" role="columnheader">Name</th>
              <th scope="col" role="columnheader">Role</th>
              <th scope="col" role="columnheader">Signs in</th>
              <th scope="col" role="columnheader">Added</th>
              <th scope="col" role="columnheader">Actions</th>
            </tr>
          </thead>
          <tbody role="rowgroup">
            {members.map((member: Member) => (
              <tr key={member.id} role="row" data-email={member.email}>
                <th scope="row" role="rowheader" className="card-head card-line">
                  {member.email}
                  {member.id === me.id && <span className="muted"> (you)</span>}
                </th>
                <td role="cell" data-label="Name">{`${member.firstName} ${member.lastName}`.trim() || "—"}</td>
                <td role="cell" className="card-line">
                  <Select<Role>
                    label={`Role of ${member.email}`}
                    value={member.role}
                    isDisabled={busy}
                    onChange={(next) =>
                      next !== member.role &&
                      act(async () => (await setRole({ id: member.id, role: next })).data?.setStaffRole, `${member.email} is now ${words(next).toLowerCase()}.`)
                    }
                    choices={ROLES.map((r) => ({ key: r.key, label: r.label }))}
                  />
                </td>
                <td role="cell" data-label="Signs in">{member.active ? "Yes" : "No: deactivated"}</td>
                <td role="cell" data-label="Added">{dateTime(member.createdAt)}</td>
                <td role="cell" className="card-actions">
                  {member.active ? (
                    <Button
                      isDisabled={busy}
                      onPress={() => act(async () => (await deactivate({ id: member.id })).data?.deactivateStaffUser, `${member.email} is deactivated.`)}
                      aria-label={`Deactivate ${member.email}`}
                    >
                      Deactivate
                    </Button>
                  ) : (
                    <Button
                      isDisabled={busy}
                      onPress={() => act(async () => (await reactivate({ id: member.id })).data?.reactivateStaffUser, `${member.email} may sign in again.`)}
                      aria-label={`Reactivate ${member.email}`}
                    >
                      Reactivate
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager pageInfo={pages.adapt(data?.staffUsers.pageInfo)} total={data?.staffUsers.totalCount} noun={["person", "people"]} onMove={pages.onMove} />
      {adding && (
        <AddStaff
          onClose={() => setAdding(false)}
          onAdded={(email) => {
            setAdding(false);
            reload(`Added ${email}. They sign in with the password you gave.`);
          }}
        />
      )}
    </div>
  );
}

function AddStaff({ onClose, onAdded }: { onClose(): void; onAdded(email: string): void }) {
  const [form, setForm] = useState({ email: "", password: "", firstName: "", lastName: "" });
  const [role, setRole] = useState<Role>("FULFILLMENT");
  const [{ data, fetching }, create] = useMutation(CreateStaffUserDocument);
  const set = (key: keyof typeof form) => (value: string) => setForm({ ...form, [key]: value });
  return (
    <Dialog title="Add staff" isOpen onOpenChange={(open) => !open && onClose()}>
      <form
        className="stack"
        onSubmit={async (event) => {
          event.preventDefault();
          const result = await create({ input: { ...form, role } });
          const made = result.data?.createStaffUser.staffUser;
          if (made) onAdded(made.email);
        }}
      >
        <TextField label="Email" value={form.email} onChange={set("email")} type="email" isRequired />
        <TextField label="Password" value={form.password} onChange={set("password")} type="password" description="8 to 256 characters; tell it to them yourself." isRequired />
        <TextField label="First name" value={form.firstName} onChange={set("firstName")} />
        <TextField label="Last name" value={form.lastName} onChange={set("lastName")} />
        <Select<Role> label="Role" value={role} onChange={setRole} choices={ROLES.map((r) => ({ key: r.key, label: `${r.label}: ${r.does}` }))} />
        <Errors errors={data?.createStaffUser.errors} />
        <div className="dialog-buttons">
          <Button onPress={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" isDisabled={fetching}>
            Add staff
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
