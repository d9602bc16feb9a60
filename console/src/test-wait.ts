// How long a unit test waits for the screen to catch up: long enough for a shared, loaded
// machine (jsdom renders React Aria and deferred React updates slowly there); a test that
// never gets there still fails, only later.
export const patient = { timeout: 10_000, interval: 50 };
