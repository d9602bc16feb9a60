// Placeholder: console-b's Settings screen replaces this folder's files.
export default function SettingsScreen() {
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <p>This screen is coming soon.</p>
    </section>
  );
}
