// Placeholder: console-b's Products screen replaces this folder's files.
export default function ProductsScreen() {
  return (
    <section aria-labelledby="products-title">
      <h1 id="products-title">Products</h1>
      <p>This screen is coming soon.</p>
    </section>
  );
}
