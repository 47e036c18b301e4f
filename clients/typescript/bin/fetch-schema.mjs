#!/usr/bin/env node
// Saves the server's taxonomy as TypeScript (the TelemetryEvent union) into the app's source:
//   npx dashboard-schema --host https://dashboard.example.com --key rk_... [--out src/telemetry.ts]
// The key is a read key (or an admin key); DASHBOARD_HOST and DASHBOARD_READ_KEY work too.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const host = option("host", process.env.DASHBOARD_HOST);
const key = option("key", process.env.DASHBOARD_READ_KEY);
const out = option("out", "src/telemetry.ts");
if (!host || !key) {
  console.error("usage: dashboard-schema --host URL --key READ_KEY [--out src/telemetry.ts]");
  process.exit(2);
}
const response = await fetch(`${host.replace(/\/+$/, "")}/api/schema/telemetry.ts`, { headers: { Authorization: `Bearer ${key}` } });
if (!response.ok) {
  console.error(`the server answered ${response.status}: ${await response.text()}`);
  process.exit(1);
}
await mkdir(dirname(out), { recursive: true });
await writeFile(out, await response.text());
console.log(`wrote ${out}`);
