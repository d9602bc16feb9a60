// Placeholder: console-b's Shipments screen replaces this folder's files.
export default function ShipmentsScreen() {
  return (
    <section aria-labelledby="shipments-title">
      <h1 id="shipments-title">Shipments</h1>
      <p>This screen is coming soon.</p>
    </section>
  );
}
