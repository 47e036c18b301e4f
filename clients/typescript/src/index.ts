// The Dashboard client: typed track calls, identify/page/group/alias, a batching queue that
// survives reloads, retries that honour Retry-After, and flags from the OFREP bulk endpoint.
// No runtime dependencies: fetch, timers and (in browsers) localStorage and pagehide.

/** The shape every generated event has: `TelemetryEvent` from `/api/schema/telemetry.ts` is a union of these. */
export interface EventShape {
  event: string;
  properties: object;
}

/** What `localStorage` offers; any object with these three methods will do (a Map-backed one in Node). */
export interface QueueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface FlagOptions {
  /** A client key (role client) whose origins list this app's origin when it runs in a browser. */
  clientKey: string;
  /** How often flags are re-read, in milliseconds (default 30 000; 0: only on `refreshFlags()`). */
  refreshInterval?: number;
  /** Attributes sent with every evaluation besides the targeting key (the user id, else the anonymous id). */
  attributes?: Record<string, string | number | boolean>;
}

export interface DashboardOptions {
  /** The server's base URL, e.g. `https://dashboard.example.com`. */
  host: string;
  /** A write key; in a browser, one whose origins list this app's origin. */
  writeKey: string;
  /** Send when this many messages are queued (default 10). */
  flushAt?: number;
  /** Send what is queued after this many milliseconds (default 5 000). */
  flushInterval?: number;
  /** The most messages kept waiting (default 1 000); past it the oldest are dropped and reported. */
  maxQueue?: number;
  /** Where the queue and ids are kept between page loads: `localStorage` in browsers by default, memory elsewhere. */
  storage?: QueueStorage | null;
  /** First retry delay in ms (default 1 000), doubled per attempt up to `maxRetryDelay` (default 60 000), with jitter. */
  retryDelay?: number;
  maxRetryDelay?: number;
  flags?: FlagOptions;
  /** Told about what could not be sent or was refused (default: console.warn). */
  onError?: (message: string, detail?: unknown) => void;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
}

export interface Message {
  type: "track" | "identify" | "page" | "screen" | "group" | "alias";
  messageId: string;
  timestamp: string;
  userId?: string;
  anonymousId: string;
  event?: string;
  name?: string;
  properties?: object;
  traits?: object;
  groupId?: string;
  previousId?: string;
}

export interface FlagValue {
  key: string;
  value: unknown;
  variant?: string;
  reason?: string;
}

type PropertiesOf<E extends EventShape, K extends E["event"]> = Extract<E, { event: K }>["properties"];

/** Keepalive requests may carry at most 64 KB in browsers. */
const KeepaliveLimit = 60_000;

class MemoryStorage implements QueueStorage {
  private readonly map = new Map<string, string>();
  getItem(key: string) { return this.map.get(key) ?? null; }
  setItem(key: string, value: string) { this.map.set(key, value); }
  removeItem(key: string) { this.map.delete(key); }
}

function defaultStorage(): QueueStorage {
  try {
    const ls = (globalThis as { localStorage?: QueueStorage }).localStorage;
    if (ls) return ls;
  } catch {
    // storage disabled (privacy mode): memory only
  }
  return new MemoryStorage();
}

function newId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, ch => {
    const r = (Math.random() * 16) | 0;
    return (ch === "x" ? r : (r & 0x3) | 0x8).toString(16);
  });
}

function basic(key: string): string {
  const text = `${key}:`;
  // btoa is in browsers and Node 16+; keys are ASCII.
  return "Basic " + btoa(text);
}

/**
 * The client. `E` is the generated `TelemetryEvent` union, so `track()` takes only its event names
 * and each event's properties: an unknown event or a wrong property type is a compile error.
 *
 * Every call is queued (and written to storage) before it returns, so a tab closed or crashed
 * after `track()` loses nothing: the next load sends what is left. Messages leave the queue only
 * when the server has answered 200 (items it refused are quarantined there and reported here);
 * 429, 503 and network errors are retried, after `Retry-After` when the server sends one, else
 * with exponential backoff and jitter; other 4xx answers are reported and not retried.
 */
export class Dashboard<E extends EventShape = EventShape> {
  private readonly host: string;
  private readonly storage: QueueStorage;
  private readonly fetcher: typeof fetch;
  private readonly keyPrefix: string;
  private readonly flushAt: number;
  private readonly flushInterval: number;
  private readonly maxQueue: number;
  private readonly retryDelay: number;
  private readonly maxRetryDelay: number;
  private readonly onError: (message: string, detail?: unknown) => void;
  private queue: Message[];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private sending: Promise<void> | undefined;
  private attempt = 0;
  private closed = false;
  private flagValues = new Map<string, FlagValue>();
  private flagEtag: string | undefined;
  private flagTimer: ReturnType<typeof setInterval> | undefined;
  private readonly pagehide = () => this.sendOnUnload();
  /** Messages dropped because the queue was full. */
  dropped = 0;

  constructor(private readonly options: DashboardOptions) {
    this.host = options.host.replace(/\/+$/, "");
    this.storage = options.storage ?? defaultStorage();
    this.fetcher = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.keyPrefix = `dashboard:${options.writeKey.slice(0, 12)}:`;
    this.flushAt = Math.max(1, options.flushAt ?? 10);
    this.flushInterval = Math.max(0, options.flushInterval ?? 5_000);
    this.maxQueue = Math.max(1, options.maxQueue ?? 1_000);
    this.retryDelay = options.retryDelay ?? 1_000;
    this.maxRetryDelay = options.maxRetryDelay ?? 60_000;
    this.onError = options.onError ?? ((m, d) => console.warn(`dashboard: ${m}`, d ?? ""));
    this.queue = this.load();
    if (this.queue.length > 0) this.schedule(0);
    const w = globalThis as { addEventListener?: (type: string, fn: () => void) => void };
    w.addEventListener?.("pagehide", this.pagehide);
    if (options.flags) {
      void this.refreshFlags();
      const every = options.flags.refreshInterval ?? 30_000;
      if (every > 0) this.flagTimer = setInterval(() => void this.refreshFlags(), every);
    }
  }

  /** The anonymous id of this browser or process, kept in storage. */
  get anonymousId(): string {
    let id = this.storage.getItem(this.keyPrefix + "anonymousId");
    if (!id) {
      id = newId();
      this.storage.setItem(this.keyPrefix + "anonymousId", id);
    }
    return id;
  }

  /** The user id given to `identify`, kept in storage; undefined before. */
  get userId(): string | undefined {
    return this.storage.getItem(this.keyPrefix + "userId") ?? undefined;
  }

  /** Messages waiting to be sent. */
  get pending(): number {
    return this.queue.length;
  }

  track<K extends E["event"]>(event: K, properties: PropertiesOf<E, K>, options?: { timestamp?: Date }): void {
    this.enqueue({ type: "track", event, properties: properties as object }, options?.timestamp);
  }

  /**
   * Names the user. The message carries the anonymous id too, so the server merges everything
   * this browser did before into the user.
   */
  identify(userId: string, traits?: Record<string, unknown>): void {
    this.storage.setItem(this.keyPrefix + "userId", userId);
    this.enqueue({ type: "identify", traits: traits ?? {} });
    void this.refreshFlags();
  }

  /** A page view; in a browser, path, url, referrer and title are filled in from the page. */
  page(name?: string, properties?: Record<string, unknown>): void {
    const g = globalThis as { location?: Location; document?: Document };
    const fromPage = g.location
      ? { path: g.location.pathname, url: g.location.href, referrer: g.document?.referrer ?? "", title: g.document?.title ?? "" }
      : {};
    this.enqueue({ type: "page", name, properties: { ...fromPage, ...(name ? { name } : {}), ...properties } });
  }

  screen(name: string, properties?: Record<string, unknown>): void {
    this.enqueue({ type: "screen", name, properties: { name, ...properties } });
  }

  /** Makes `groupId` the user's account and stores its traits. */
  group(groupId: string, traits?: Record<string, unknown>): void {
    this.enqueue({ type: "group", groupId, traits: traits ?? {} });
  }

  /** Merges `previousId` (default: this browser's anonymous id) into `userId`. */
  alias(userId: string, previousId?: string): void {
    this.storage.setItem(this.keyPrefix + "userId", userId);
    this.enqueue({ type: "alias", previousId: previousId ?? this.anonymousId });
  }

  /** Forgets the user and starts a new anonymous id (sign-out). */
  reset(): void {
    this.storage.removeItem(this.keyPrefix + "userId");
    this.storage.removeItem(this.keyPrefix + "anonymousId");
  }

  /** Sends everything queued; resolves when the queue is empty or a send failed (it is retried later). */
  flush(): Promise<void> {
    return this.drain(1);
  }

  /** Sends while at least `least` messages are queued (1: everything; the batch size: full batches only). */
  private async drain(least: number): Promise<void> {
    while (this.queue.length >= least && !this.closed) {
      if (this.sending) {
        await this.sending;
        continue;
      }
      let delivered = false;
      this.sending = this.send().then(ok => void (delivered = ok)).finally(() => (this.sending = undefined));
      await this.sending;
      if (!delivered) return; // a retry is scheduled
    }
  }

  /** Stops the timers and sends what is queued one last time. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    clearInterval(this.flagTimer);
    const w = globalThis as { removeEventListener?: (type: string, fn: () => void) => void };
    w.removeEventListener?.("pagehide", this.pagehide);
    await this.flush();
    this.closed = true;
  }

  /** True when the flag is on for the current user (a variant flag: any variant but "off"). */
  isEnabled(key: string): boolean {
    const f = this.flagValues.get(key);
    return f?.value === true || (typeof f?.value === "string" && f.value !== "off");
  }

  /** The variant the current user is served, or undefined when the flag is off or unknown. */
  variant(key: string): string | undefined {
    const f = this.flagValues.get(key);
    return f && this.isEnabled(key) ? f.variant : undefined;
  }

  /** Every flag as last read. */
  get flags(): ReadonlyMap<string, FlagValue> {
    return this.flagValues;
  }

  /** Re-reads every flag for the current user (If-None-Match with the last ETag: 304 keeps them). */
  async refreshFlags(): Promise<void> {
    const flags = this.options.flags;
    if (!flags) return;
    const context = { targetingKey: this.userId ?? this.anonymousId, ...flags.attributes };
    const headers: Record<string, string> = { "Content-Type": "application/json", Authorization: `Bearer ${flags.clientKey}` };
    const body = JSON.stringify({ context });
    // The ETag stands for the answer to one context: a new user (after identify) asks afresh.
    if (this.flagEtag && this.lastFlagBody === body) headers["If-None-Match"] = this.flagEtag;
    try {
      const response = await this.fetcher(`${this.host}/ofrep/v1/evaluate/flags`, { method: "POST", headers, body });
      if (response.status === 304) return;
      if (!response.ok) {
        this.onError(`flags: the server answered ${response.status}`, await safeText(response));
        return;
      }
      const json = (await response.json()) as { flags?: FlagValue[] };
      this.flagValues = new Map((json.flags ?? []).map(f => [f.key, f]));
      this.flagEtag = response.headers.get("ETag") ?? undefined;
      this.lastFlagBody = body;
    } catch (e) {
      this.onError("flags: the server could not be reached", e);
    }
  }

  private lastFlagBody: string | undefined;

  private enqueue(partial: Omit<Message, "messageId" | "timestamp" | "anonymousId" | "userId">, at?: Date): void {
    const message: Message = {
      ...partial,
      messageId: newId(),
      timestamp: (at ?? new Date()).toISOString(),
      anonymousId: this.anonymousId,
      ...(this.userId ? { userId: this.userId } : {}),
    } as Message;
    this.queue.push(message);
    if (this.queue.length > this.maxQueue) {
      const over = this.queue.length - this.maxQueue;
      this.queue.splice(0, over);
      this.dropped += over;
      this.onError(`the queue is full (${this.maxQueue} messages): ${over} oldest dropped`);
    }
    this.save();
    if (this.queue.length >= this.flushAt && !this.sending && this.attempt === 0) void this.drain(this.flushAt);
    this.schedule(this.flushInterval);
  }

  private schedule(delay: number): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delay);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Sends the oldest messages; true when the server answered (they left the queue), false when a retry is scheduled. */
  private async send(): Promise<boolean> {
    const batch = this.queue.slice(0, 100);
    const sent = new Set(batch.map(m => m.messageId));
    let response: Response;
    try {
      response = await this.post(batch, false);
    } catch (e) {
      this.retry(undefined, "the server could not be reached", e);
      return false;
    }
    if (response.status === 429 || response.status === 503 || response.status >= 500) {
      this.retry(response.headers.get("Retry-After"), `the server answered ${response.status}`, await safeText(response));
      return false;
    }
    this.attempt = 0;
    if (response.ok) {
      const reply = (await response.json()) as { rejected?: { index: number; code: string; error: string }[] };
      for (const r of reply.rejected ?? []) this.onError(`message ${batch[r.index]?.messageId} was refused: ${r.code}: ${r.error}`, batch[r.index]);
    } else {
      // 400, 401, 413: sending the same again cannot succeed.
      this.onError(`the server refused ${batch.length} messages with ${response.status}; they are dropped`, await safeText(response));
    }
    this.queue = this.queue.filter(m => !sent.has(m.messageId));
    this.save();
    if (this.queue.length > 0) this.schedule(this.flushInterval);
    return true;
  }

  private retry(retryAfter: string | null | undefined, message: string, detail: unknown): void {
    this.attempt++;
    const seconds = retryAfter ? Number(retryAfter) : NaN;
    const backoff = Math.min(this.maxRetryDelay, this.retryDelay * 2 ** (this.attempt - 1));
    const delay = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : backoff / 2 + Math.random() * (backoff / 2);
    this.onError(`${message}; retrying in ${Math.round(delay)} ms`, detail);
    clearTimeout(this.timer);
    this.timer = undefined;
    this.schedule(delay);
    this.retryAt = Date.now() + delay;
  }

  /** When the next retry is due (ms since the epoch), after a failed send. */
  retryAt: number | undefined;

  private post(batch: Message[], keepalive: boolean): Promise<Response> {
    return this.fetcher(`${this.host}/v1/batch`, {
      method: "POST",
      keepalive,
      headers: { "Content-Type": "application/json", Authorization: basic(this.options.writeKey) },
      body: JSON.stringify({ batch, sentAt: new Date().toISOString() }),
    });
  }

  /** On pagehide: what fits in a keepalive request goes now; it stays stored until a 200 is seen, so the next load sends it again (deduplicated by messageId). */
  private sendOnUnload(): void {
    if (this.queue.length === 0) return;
    const batch: Message[] = [];
    let size = 0;
    for (const m of this.queue) {
      size += JSON.stringify(m).length + 1;
      if (size > KeepaliveLimit) break;
      batch.push(m);
    }
    void this.post(batch, true).catch(() => undefined);
  }

  private load(): Message[] {
    try {
      const text = this.storage.getItem(this.keyPrefix + "queue");
      const parsed = text ? (JSON.parse(text) as unknown) : [];
      return Array.isArray(parsed) ? (parsed as Message[]) : [];
    } catch {
      return [];
    }
  }

  private save(): void {
    try {
      if (this.queue.length === 0) this.storage.removeItem(this.keyPrefix + "queue");
      else this.storage.setItem(this.keyPrefix + "queue", JSON.stringify(this.queue));
    } catch (e) {
      this.onError("the queue could not be stored", e);
    }
  }
}

async function safeText(response: Response): Promise<string> {
  try {
    return await response.text();
  } catch {
    return "";
  }
}

/** A `QueueStorage` in memory, for Node or tests; share one between two clients to simulate a reload. */
export function memoryStorage(): QueueStorage {
  return new MemoryStorage();
}
