// A web app's use of the dashboard, as the README shows it: Segment's analytics.js with its
// cdnURL pointed at the dashboard (the settings it loads from there point it at the dashboard's
// /v1 paths), and the OpenFeature web SDK with the OFREP provider. Bundled into one file by
// esbuild (npm run build); the browser tests load it on a page served from another origin and
// call the functions on window.dashboardWebTest.
import { AnalyticsBrowser } from '@segment/analytics-next';
import { OpenFeature } from '@openfeature/web-sdk';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';

/**
 * Loads analytics.js from the dashboard and makes the calls a visitor's journey makes: a track
 * while anonymous, identify, a track as the user, then page(). Answers the message ids and the
 * anonymous id once every call has been sent.
 */
async function journey({ server, writeKey, userId, anonymousStep, identifiedStep }) {
  const analytics = AnalyticsBrowser.load({ writeKey, cdnURL: server }, { disableClientPersistence: true });
  const [instance] = await analytics;
  const anonymousId = instance.user().anonymousId();
  const sent = [];
  const record = async (call) => {
    const ctx = await call;
    const failed = ctx.failedDelivery();
    if (failed) throw new Error(`${ctx.event.type} was not delivered: ${failed.reason}`);
    sent.push({ type: ctx.event.type, event: ctx.event.event ?? null, messageId: ctx.event.messageId });
  };
  await record(analytics.track(anonymousStep, { origin: 'web' }));
  await record(analytics.identify(userId, { plan: 'team' }));
  await record(analytics.track(identifiedStep, { origin: 'web' }));
  await record(analytics.page());
  return { anonymousId, sent };
}

/** Evaluates a boolean flag through the OFREP web provider; an error of the provider's start is reported, not thrown. */
async function evaluateFlag({ server, clientKey, flag, user }) {
  const provider = new OFREPWebProvider({
    baseUrl: server,
    headers: [['Authorization', `Bearer ${clientKey}`]],
    cacheMode: 'disabled',
    disableVisibilityRefresh: true,
  });
  let providerError = null;
  try {
    await OpenFeature.setProviderAndWait(provider, { targetingKey: user });
  } catch (error) {
    providerError = String(error?.message ?? error);
  }
  const details = OpenFeature.getClient().getBooleanDetails(flag, false);
  await OpenFeature.close();
  return {
    value: details.value,
    variant: details.variant ?? null,
    reason: details.reason ?? null,
    errorCode: details.errorCode ?? null,
    providerError,
  };
}

window.dashboardWebTest = { journey, evaluateFlag };
