// Shipping methods: what checkout offers, its price, free-over threshold, countries, and
// whether it is offered at all (SETTINGS_WRITE).
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { ShippingMethodsSettingsQuery } from "../gql/graphql";
import { money } from "../lib/format";
import { Button, Dialog, Errors, Notice, TextField } from "../ui";
import { Check } from "../ui/Check";
import { countryList } from "./settingsForms";

const ShippingMethodsSettingsDocument = graphql(`
  query ShippingMethodsSettings {
    shippingMethods(includeInactive: true) {
      id
      code
      name
      price
      currency
      freeOver
      countries
      active
    }
  }
`);

const CreateShippingMethodDocument = graphql(`
  mutation CreateShippingMethod($input: CreateShippingMethodInput!) {
    createShippingMethod(input: $input) {
      shippingMethod {
        id
        code
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

const UpdateShippingMethodDocument = graphql(`
  mutation UpdateShippingMethod($code: String!, $input: UpdateShippingMethodInput!) {
    updateShippingMethod(code: $code, input: $input) {
      shippingMethod {
        id
        code
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

type Method = ShippingMethodsSettingsQuery["shippingMethods"][number];

interface MethodForm {
  code: string;
  name: string;
  price: string;
  freeOver: string;
  countries: string;
  active: boolean;
}

const EMPTY: MethodForm = { code: "", name: "", price: "", freeOver: "", countries: "", active: true };

export function ShippingMethods() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: ShippingMethodsSettingsDocument, requestPolicy: "cache-and-network" });
  const [done, setDone] = useState<string | null>(null);
  const [editing, setEditing] = useState<Method | "new" | null>(null);
  const saved = (message: string) => {
    setEditing(null);
    setDone(message);
    refetch({ requestPolicy: "network-only" });
  };
  return (
    <div className="stack">
      <div className="row">
        <h2>Shipping methods</h2>
        <span className="spacer" />
        <Button variant="primary" onPress={() => setEditing("new")}>
          New shipping method
        </Button>
      </div>
      {done && <Notice tone="success">{done}</Notice>}
      {error && <p role="alert">{error.message}</p>}
      {/* a card per method on a phone (styles.css, .cards-table) */}
      <div className="table-wrap">
        <table className="data cards-table" role="table" aria-label="Shipping methods" aria-busy={fetching}>
          <thead role="rowgroup">
            <tr role="row">
              <th scope="col" role="columnheader">Code</th>
              <th scope="col" role="columnheader">Name</th>
              <th scope="col" role="columnheader" className="num">
                Price
              </th>
              <th scope="col" role="columnheader">Free over</th>
              <th scope="col" role="columnheader">Countries</th>
              <th scope="col" role="columnheader">Offered</th>
              <th scope="col" role="columnheader">Actions</th>
            </tr>
          </thead>
          <tbody role="rowgroup">
            {(data?.shippingMethods ?? []).map((method) => (
              <tr key={method.id} role="row">
                <th scope="row" role="rowheader" className="card-head">{method.code}</th>
                <td role="cell" className="card-line" data-label="Name">{method.name}</td>
                <td role="cell" className="num card-end" data-label="Price">{money(method.price, method.currency)}</td>
                <td role="cell" data-label="Free over">{method.freeOver ? money(method.freeOver, method.currency) : "—"}</td>
                <td role="cell" data-label="Countries">{method.countries.length ? method.countries.join(", ") : "Everywhere"}</td>
                <td role="cell" data-label="Offered">{method.active ? "Yes" : "No"}</td>
                <td role="cell" className="card-actions">
                  <Button onPress={() => setEditing(method)} aria-label={`Edit ${method.code}`}>
                    Edit
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {editing && <MethodDialog method={editing === "new" ? null : editing} onClose={() => setEditing(null)} onSaved={saved} />}
    </div>
  );
}

function MethodDialog({ method, onClose, onSaved }: { method: Method | null; onClose(): void; onSaved(message: string): void }) {
  const [form, setForm] = useState<MethodForm>(
    method
      ? {
          code: method.code,
          name: method.name,
          price: method.price,
          freeOver: method.freeOver ?? "",
          countries: method.countries.join(", "),
          active: method.active,
        }
      : EMPTY,
  );
  const [created, create] = useMutation(CreateShippingMethodDocument);
  const [updated, update] = useMutation(UpdateShippingMethodDocument);
  const errors = method ? updated.data?.updateShippingMethod.errors : created.data?.createShippingMethod.errors;
  const set = (key: keyof MethodForm) => (value: string) => setForm({ ...form, [key]: value });
  return (
    <Dialog title={method ? `Edit ${method.code}` : "New shipping method"} isOpen onOpenChange={(open) => !open && onClose()}>
      <form
        className="stack"
        onSubmit={async (event) => {
          event.preventDefault();
          const common = {
            name: form.name,
            price: form.price,
            freeOver: form.freeOver.trim() || null,
            countries: countryList(form.countries),
            active: form.active,
          };
          if (method) {
            const result = await update({ code: method.code, input: common });
            if (result.data?.updateShippingMethod.shippingMethod) onSaved(`Saved ${method.code}.`);
          } else {
            const result = await create({ input: { ...common, code: form.code } });
            const made = result.data?.createShippingMethod.shippingMethod;
            if (made) onSaved(`Created ${made.code}.`);
          }
        }}
      >
        {!method && <TextField label="Code" value={form.code} onChange={set("code")} description="What storefronts send, e.g. express." isRequired />}
        <TextField label="Name" value={form.name} onChange={set("name")} isRequired />
        <TextField label="Price" value={form.price} onChange={set("price")} inputMode="decimal" isRequired />
        <TextField label="Free over" value={form.freeOver} onChange={set("freeOver")} inputMode="decimal" description="Free when the subtotal reaches this; empty: never." />
        <TextField label="Countries" value={form.countries} onChange={set("countries")} description="Two-letter codes, e.g. GB, FR; empty: everywhere." />
        <Check label="Offered at checkout" isSelected={form.active} onChange={(active) => setForm({ ...form, active })} />
        <Errors errors={errors} />
        <div className="dialog-buttons">
          <Button onPress={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" isDisabled={created.fetching || updated.fetching}>
            {method ? "Save" : "Create shipping method"}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
