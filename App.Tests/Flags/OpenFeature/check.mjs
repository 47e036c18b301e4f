// Evaluates flags with the OpenFeature server SDK and its OFREP provider, configured only with the
// server's address and a client key. Usage: node check.mjs BASE_URL CLIENT_KEY REQUESTS_JSON
// REQUESTS_JSON: [{ "flag", "type": "boolean"|"string", "default", "user", "attributes"? }]
// Prints one JSON array: [{ "flag", "value", "variant", "reason", "errorCode" }].
import { OpenFeature } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';

const [baseUrl, key, requests] = process.argv.slice(2);
await OpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl, headers: { Authorization: `Bearer ${key}` } }));
const client = OpenFeature.getClient();
const results = [];
for (const r of JSON.parse(requests)) {
  const context = { targetingKey: r.user, ...(r.attributes ?? {}) };
  const details = r.type === 'boolean'
    ? await client.getBooleanDetails(r.flag, r.default, context)
    : await client.getStringDetails(r.flag, r.default, context);
  results.push({ flag: r.flag, value: details.value, variant: details.variant ?? null, reason: details.reason ?? null, errorCode: details.errorCode ?? null });
}
console.log(JSON.stringify(results));
await OpenFeature.close();
