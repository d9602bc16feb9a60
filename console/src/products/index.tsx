// Products: the catalog by SKU, a new product, its name and price (updateProduct), whether it
// is sold, and stock corrections with a reason (adjustStock: every change is in the ledger).
import { useState } from "react";
import { Input, Label, SearchField } from "react-aria-components";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { ProductsListQuery } from "../gql/graphql";
import { money } from "../lib/format";
import { useViewer } from "../lib/viewer";
import { Button, Dialog, Errors, Notice, TextField } from "../ui";
import { Check } from "../ui/Check";
import "../ui/screens.css";
import { pageArguments, Pager, type PageAt } from "../ui/Pager";
import { productChanges, stockDelta } from "./productForms";

const ProductsListDocument = graphql(`
  query ProductsList($first: Int, $after: String, $last: Int, $before: String, $search: String) {
    products(first: $first, after: $after, last: $last, before: $before, search: $search) {
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
          sku
          name
          price
          currency
          stock
          active
        }
      }
    }
  }
`);

const CreateProductDocument = graphql(`
  mutation CreateProduct($input: CreateProductInput!) {
    createProduct(input: $input) {
      product {
        id
        sku
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

const UpdateProductDocument = graphql(`
  mutation UpdateProduct($id: ID!, $input: UpdateProductInput!) {
    updateProduct(id: $id, input: $input) {
      product {
        id
        name
        price
        active
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

const AdjustStockDocument = graphql(`
  mutation AdjustStock($sku: String!, $delta: Int!, $reason: String!) {
    adjustStock(sku: $sku, delta: $delta, reason: $reason) {
      product {
        id
        stock
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

type Product = ProductsListQuery["products"]["edges"][number]["node"];
const PAGE_SIZE = 50;

export default function ProductsScreen() {
  const { can } = useViewer();
  const [search, setSearch] = useState("");
  const [at, setAt] = useState<PageAt>({});
  const [done, setDone] = useState<string | null>(null);
  const [{ data, fetching, error }, refetch] = useQuery({
    query: ProductsListDocument,
    variables: { ...pageArguments(at, PAGE_SIZE), search: search || null },
  });
  const reload = (message: string) => {
    setDone(message);
    refetch({ requestPolicy: "network-only" });
  };
  const rows = data?.products.edges.map((edge) => edge.node) ?? [];
  const editable = can("ORDERS_WRITE");
  return (
    <section aria-labelledby="products-title" className="stack">
      <h1 id="products-title">Products</h1>
      <div className="row filters">
        <SearchField
          className="field search"
          value={search}
          onChange={(value) => {
            setSearch(value.trim());
            setAt({});
          }}
        >
          <Label>Search products</Label>
          <Input placeholder="SKU or name" />
        </SearchField>
        <span className="spacer" />
        {editable && <CreateProduct onCreated={(sku) => reload(`Created ${sku}.`)} />}
      </div>
      {done && <Notice tone="success">{done}</Notice>}
      {error && <p role="alert">{error.message}</p>}
      {/* a card per product on a phone (styles.css, .cards-table), as an order's items */}
      <div className="table-wrap" tabIndex={0} role="group" aria-label="Products">
        <table className="data cards-table" role="table" aria-label="Products" aria-busy={fetching}>
          <thead role="rowgroup">
            <tr role="row">
              <th scope="col" role="columnheader">SKU</th>
              <th scope="col" role="columnheader">Name</th>
              <th scope="col" role="columnheader" className="num">
                Price
              </th>
              <th scope="col" role="columnheader" className="num">
                Stock
              </th>
              <th scope="col" role="columnheader">Sold</th>
              {editable && <th scope="col" role="columnheader">Actions</th>}
            </tr>
          </thead>
          <tbody role="rowgroup">
            {rows.map((product) => (
              <tr key={product.id} role="row" data-sku={product.sku}>
                <th scope="row" role="rowheader" className="card-head">{product.sku}</th>
                <td role="cell" className="card-line" data-label="Name">{product.name}</td>
                <td role="cell" className="num card-end" data-label="Price">{money(product.price, product.currency)}</td>
                <td role="cell" className="num" data-label="Stock">{product.stock}</td>
                <td role="cell" data-label="Sold">{product.active ? "Yes" : "No"}</td>
                {editable && (
                  <td role="cell" className="row card-actions">
                    <EditProduct product={product} onSaved={() => reload(`Saved ${product.sku}.`)} />
                    <AdjustStock product={product} onSaved={(stock) => reload(`${product.sku} has ${stock} in stock.`)} />
                  </td>
                )}
              </tr>
            ))}
            {rows.length === 0 && !fetching && (
              <tr role="row">
                <td role="cell" colSpan={editable ? 6 : 5}>No products match.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <Pager pageInfo={data?.products.pageInfo} total={data?.products.totalCount} noun={["product", "products"]} onMove={setAt} />
    </section>
  );
}

function CreateProduct({ onCreated }: { onCreated(sku: string): void }) {
  const [open, setOpen] = useState(false);
  const [form, setForm] = useState({ sku: "", name: "", price: "", stock: "0" });
  const [{ data, fetching }, create] = useMutation(CreateProductDocument);
  const [local, setLocal] = useState<string | null>(null);
  const set = (key: keyof typeof form) => (value: string) => setForm({ ...form, [key]: value });
  return (
    <>
      <Button variant="primary" onPress={() => setOpen(true)}>
        New product
      </Button>
      <Dialog title="New product" isOpen={open} onOpenChange={setOpen}>
        <form
          className="stack"
          onSubmit={async (event) => {
            event.preventDefault();
            const stock = Number(form.stock || "0");
            if (!Number.isInteger(stock)) return setLocal("Stock is a whole number of units.");
            setLocal(null);
            const result = await create({ input: { sku: form.sku, name: form.name, price: form.price, stock } });
            const sku = result.data?.createProduct.product?.sku;
            if (sku) {
              setOpen(false);
              setForm({ sku: "", name: "", price: "", stock: "0" });
              onCreated(sku);
            }
          }}
        >
          <TextField label="SKU" value={form.sku} onChange={set("sku")} isRequired />
          <TextField label="Name" value={form.name} onChange={set("name")} isRequired />
          <TextField label="Price" value={form.price} onChange={set("price")} inputMode="decimal" isRequired />
          <TextField label="Starting stock" value={form.stock} onChange={set("stock")} inputMode="numeric" />
          <Errors errors={local ? [{ message: local }] : data?.createProduct.errors} />
          <div className="dialog-buttons">
            <Button onPress={() => setOpen(false)}>Cancel</Button>
            <Button type="submit" variant="primary" isDisabled={fetching}>
              Create product
            </Button>
          </div>
        </form>
      </Dialog>
    </>
  );
}

function EditProduct({ product, onSaved }: { product: Product; onSaved(): void }) {
  const [open, setOpen] = useState(false);
  const [form, setForm] = useState({ name: product.name, price: product.price, active: product.active });
  const [{ data, fetching }, update] = useMutation(UpdateProductDocument);
  const changes = productChanges(product, form);
  return (
    <>
      <Button
        onPress={() => {
          setForm({ name: product.name, price: product.price, active: product.active });
          setOpen(true);
        }}
        aria-label={`Edit ${product.sku}`}
      >
        Edit
      </Button>
      <Dialog title={`Edit ${product.sku}`} isOpen={open} onOpenChange={setOpen}>
        <form
          className="stack"
          onSubmit={async (event) => {
            event.preventDefault();
            if (!changes) return setOpen(false);
            const result = await update({ id: product.id, input: changes });
            if (result.data?.updateProduct.product) {
              setOpen(false);
              onSaved();
            }
          }}
        >
          <TextField label="Name" value={form.name} onChange={(name) => setForm({ ...form, name })} isRequired />
          <TextField
            label="Price"
            value={form.price}
            onChange={(price) => setForm({ ...form, price })}
            inputMode="decimal"
            description={`In ${product.currency}. Orders already placed keep their prices.`}
            isRequired
          />
          <Check
            label="Sold"
            description="checkout refuses a product that is not sold"
            isSelected={form.active}
            onChange={(active) => setForm({ ...form, active })}
          />
          <Errors errors={data?.updateProduct.errors} />
          <div className="dialog-buttons">
            <Button onPress={() => setOpen(false)}>Cancel</Button>
            <Button type="submit" variant="primary" isDisabled={fetching || !changes}>
              Save
            </Button>
          </div>
        </form>
      </Dialog>
    </>
  );
}

function AdjustStock({ product, onSaved }: { product: Product; onSaved(stock: number): void }) {
  const [open, setOpen] = useState(false);
  const [change, setChange] = useState("");
  const [reason, setReason] = useState("");
  const [{ data, fetching }, adjust] = useMutation(AdjustStockDocument);
  const delta = stockDelta(change);
  return (
    <>
      <Button
        onPress={() => {
          setChange("");
          setReason("");
          setOpen(true);
        }}
        aria-label={`Adjust stock of ${product.sku}`}
      >
        Adjust stock
      </Button>
      <Dialog title={`Adjust stock of ${product.sku}`} isOpen={open} onOpenChange={setOpen}>
        <form
          className="stack"
          onSubmit={async (event) => {
            event.preventDefault();
            if (delta === null) return;
            const result = await adjust({ sku: product.sku, delta, reason });
            // staff always read the stock; null is what anyone else would get
            const stock = result.data?.adjustStock.product?.stock;
            if (stock !== undefined && stock !== null) {
              setOpen(false);
              onSaved(stock);
            }
          }}
        >
          <p>
            {product.stock} in stock now.
            {delta !== null && product.stock !== null && ` After: ${product.stock + delta}.`}
          </p>
          <TextField
            label="Change"
            value={change}
            onChange={setChange}
            inputMode="numeric"
            description="Units to add, or to take away with a minus sign (-3)."
            errorMessage={change && delta === null ? "A whole number other than 0." : undefined}
            isInvalid={Boolean(change) && delta === null}
            isRequired
          />
          <TextField label="Reason" value={reason} onChange={setReason} description="A stock count, damage, a delivery…" isRequired />
          <Errors errors={data?.adjustStock.errors} />
          <div className="dialog-buttons">
            <Button onPress={() => setOpen(false)}>Cancel</Button>
            <Button type="submit" variant="primary" isDisabled={fetching || delta === null || !reason.trim()}>
              Adjust stock
            </Button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
