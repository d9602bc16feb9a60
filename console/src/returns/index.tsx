// Placeholder: console-b's Returns screen replaces this folder's files.
export default function ReturnsScreen() {
  return (
    <section aria-labelledby="returns-title">
      <h1 id="returns-title">Returns</h1>
      <p>This screen is coming soon.</p>
    </section>
  );
}
