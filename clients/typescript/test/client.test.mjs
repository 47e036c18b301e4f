// The built client against a real server: DASHBOARD_URL (normal limits) and DASHBOARD_LIMITED_URL
// (one ingest request per second per key), with the keys the server was started with.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Dashboard, memoryStorage } from "../dist/index.js";

const env = name => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests through the server's test suite`);
  return value;
};
const url = env("DASHBOARD_URL");
const limitedUrl = env("DASHBOARD_LIMITED_URL");
const writeKey = env("DASHBOARD_WRITE_KEY");
const clientKey = env("DASHBOARD_CLIENT_KEY");
const readKey = env("DASHBOARD_READ_KEY");
const adminKey = env("DASHBOARD_ADMIN_KEY");

/** A fetch that records every request's path and answer status. */
function recording() {
  const calls = [];
  const fetcher = async (input, init) => {
    const response = await fetch(input, init);
    calls.push({ path: new URL(String(input)).pathname, status: response.status, headers: init?.headers ?? {} });
    return response;
  };
  return { calls, fetcher };
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

async function until(condition, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await condition()) return;
    await sleep(25);
  }
  assert.fail("timed out waiting");
}

async function person(id, base = url) {
  const response = await fetch(`${base}/api/people/${encodeURIComponent(id)}`, { headers: { Authorization: `Bearer ${readKey}` } });
  return response.status === 200 ? response.json() : null;
}

const quiet = () => {};
const opened = client => client.track("APP_OPENED", { platform: "web" });

test("ten events go in one request as soon as the tenth is tracked", async () => {
  const { calls, fetcher } = recording();
  const client = new Dashboard({ host: url, writeKey, fetch: fetcher, storage: memoryStorage(), flushInterval: 60_000, onError: quiet });
  const user = `ts-batch-${randomUUID()}`;
  client.identify(user);
  for (let i = 0; i < 9; i++) opened(client);
  // The identify and nine events reach the batch size of ten: sent at once, not after the minute.
  await until(() => calls.filter(c => c.path === "/v1/batch").length === 1, 5_000);
  opened(client);
  await sleep(100);
  assert.equal(client.pending, 1, "the eleventh waits for the next batch");
  await client.flush();
  assert.equal(client.pending, 0);
  assert.equal(calls.filter(c => c.path === "/v1/batch").length, 2);
  await until(async () => (await person(user))?.events === 10);
  await client.close();
});

test("fewer events than the batch size go after the interval", async () => {
  const { calls, fetcher } = recording();
  const client = new Dashboard({ host: url, writeKey, fetch: fetcher, storage: memoryStorage(), flushInterval: 400, onError: quiet });
  client.identify(`ts-interval-${randomUUID()}`);
  opened(client);
  opened(client);
  await sleep(150);
  assert.equal(calls.length, 0, "nothing is sent before the interval");
  await until(() => client.pending === 0, 3_000);
  assert.equal(calls.filter(c => c.path === "/v1/batch").length, 1);
  await until(async () => (await person(client.userId))?.events === 2);
  await client.close();
});

test("a 429 is retried after its Retry-After and nothing is lost", async () => {
  const { calls, fetcher } = recording();
  const errors = [];
  const client = new Dashboard({ host: limitedUrl, writeKey, fetch: fetcher, storage: memoryStorage(), flushAt: 1, onError: m => errors.push(m) });
  const user = `ts-retry-${randomUUID()}`;
  client.identify(user);
  await until(() => client.pending === 0);
  const started = Date.now();
  opened(client); // over the limit of one request per second
  await until(() => calls.some(c => c.status === 429));
  const refused = calls.find(c => c.status === 429);
  assert.ok(refused);
  assert.match(errors.join("\n"), /429; retrying in \d+ ms/);
  await until(() => client.pending === 0, 10_000);
  assert.ok(Date.now() - started >= 500, "the retry waited for Retry-After");
  await until(async () => (await person(user, limitedUrl))?.events === 1);
  await client.close();
});

test("a refused key is reported and not retried", async () => {
  const { calls, fetcher } = recording();
  const errors = [];
  const client = new Dashboard({ host: url, writeKey: "wk_not_a_key", fetch: fetcher, storage: memoryStorage(), flushAt: 1, onError: m => errors.push(m) });
  opened(client);
  await until(() => client.pending === 0);
  await sleep(300);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].status, 401);
  assert.match(errors.join("\n"), /refused 1 messages with 401/);
  await client.close();
});

test("what a closed tab left in storage is sent by the next load", async () => {
  const storage = memoryStorage();
  const down = async () => { throw new TypeError("fetch failed"); };
  const first = new Dashboard({ host: url, writeKey, fetch: down, storage, flushAt: 1, retryDelay: 60_000, onError: quiet });
  const user = `ts-reload-${randomUUID()}`;
  first.identify(user);
  opened(first);
  opened(first);
  await sleep(100);
  assert.equal(first.pending, 3, "nothing acknowledged, everything kept");
  await first.close(); // the tab goes away with the server unreachable

  const second = new Dashboard({ host: url, writeKey, storage, onError: quiet });
  assert.equal(second.userId, user);
  await until(() => second.pending === 0);
  await until(async () => (await person(user))?.events === 2);
  await second.close();
});

test("identify merges what the anonymous visitor did into the user", async () => {
  const client = new Dashboard({ host: url, writeKey, storage: memoryStorage(), flushInterval: 50, onError: quiet });
  const anonymous = client.anonymousId;
  client.page("Pricing", { path: "/pricing" });
  await until(() => client.pending === 0);
  const user = `ts-merge-${randomUUID()}`;
  client.identify(user, { plan: "team" });
  opened(client);
  await until(async () => (await person(user))?.events === 2);
  const p = await person(user);
  assert.deepEqual(p.mergedIds, [anonymous]);
  assert.equal(p.traits.plan, "team");
  await client.close();
});

test("flags come from the OFREP bulk endpoint, with ETag, and follow a change", async () => {
  const key = `ts_flag_${randomUUID().replaceAll("-", "")}`;
  const put = enabled => fetch(`${url}/api/flags/${key}`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${adminKey}`, "Content-Type": "application/json" },
    body: JSON.stringify({ description: "", owner: "", enabled, rolloutPercent: 100, rules: [], variants: [] }),
  });
  assert.equal((await put(true)).status, 201);
  const { calls, fetcher } = recording();
  const client = new Dashboard({ host: url, writeKey, fetch: fetcher, storage: memoryStorage(), flags: { clientKey, refreshInterval: 0 }, onError: quiet });
  await until(() => client.isEnabled(key), 3_000);
  assert.equal(client.variant(key), "on");

  await client.refreshFlags();
  const second = calls.filter(c => c.path === "/ofrep/v1/evaluate/flags").at(-1);
  assert.equal(second.status, 304, "an unchanged state answers 304 to If-None-Match");
  assert.ok(second.headers["If-None-Match"]);

  assert.equal((await put(false)).status, 200);
  await until(async () => {
    await client.refreshFlags();
    return !client.isEnabled(key);
  }, 3_000);
  assert.equal(client.variant(key), undefined);
  await client.close();
});
