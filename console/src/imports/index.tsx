// Placeholder: console-b's Imports screen replaces this folder's files.
export default function ImportsScreen() {
  return (
    <section aria-labelledby="imports-title">
      <h1 id="imports-title">Imports</h1>
      <p>This screen is coming soon.</p>
    </section>
  );
}
