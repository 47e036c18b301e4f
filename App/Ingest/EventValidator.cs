using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Dashboard.Schema;
using Microsoft.Extensions.Options;

namespace Dashboard.Ingest;

/// <summary>
/// Turns one raw item into a <see cref="ValidEvent"/> or a typed rejection. The checks run as a
/// named list of steps, in order, and the first that refuses the item decides its reason.
/// Identity follows Segment's rule (userId, else anonymousId); the timestamp is corrected for
/// client clock skew when sentAt is known: timestamp = receivedAt - (sentAt - timestamp).
/// </summary>
public sealed class EventValidator(IOptions<IngestOptions> options, TaxonomyCache taxonomy)
{
    /// <summary>The longest user id, anonymous id, message id or flag targeting key.</summary>
    public const int MaxIdLength = 256;

    private sealed class Item(JsonElement raw, BatchContext ctx)
    {
        public JsonElement Raw { get; } = raw;
        public BatchContext Ctx { get; } = ctx;
        public MessageType Type;
        public string? UserKey;
        public string? Name;
        public JsonElement? Properties;
        public string? TraitsJson;
        public long Timestamp;
        public string? MessageId;
        public bool Anonymous;
        public string? MergeKey;
        public string? GroupKey;
    }

    private delegate Rejection? Step(Item item);

    private Step[]? _steps;

    public readonly record struct Rejection(string Code, string Error);

    public readonly record struct Outcome(ValidEvent? Event, Rejection? Rejection);

    public Outcome Validate(JsonElement raw, BatchContext ctx)
    {
        var item = new Item(raw, ctx);
        _steps ??= [CheckSize, CheckShape, CheckType, CheckIdentity, CheckLinks, CheckName, CheckProperties, CheckTimestamp, CheckMessageId, CheckTaxonomy];
        foreach (var step in _steps)
        {
            if (step(item) is { } rejection) return new Outcome(null, rejection);
        }
        var props = item.Type is MessageType.Page or MessageType.Screen ? PageProperties(item)
            : item.Properties is { } p ? p.GetRawText() : "{}";
        return new Outcome(new ValidEvent(item.Type, item.UserKey!, item.Name, props, item.TraitsJson, item.Timestamp, item.MessageId!)
        {
            Anonymous = item.Anonymous,
            MergeKey = item.MergeKey,
            GroupKey = item.GroupKey,
        }, null);
    }

    private Rejection? CheckSize(Item item)
    {
        var bytes = JsonMarshal.GetRawUtf8Value(item.Raw).Length;
        var max = options.Value.MaxEventBytes;
        return bytes > max ? new(RejectionCodes.TooLarge, $"event is {bytes} bytes; the limit is {max} bytes") : null;
    }

    private static Rejection? CheckShape(Item item) =>
        item.Raw.ValueKind == JsonValueKind.Object ? null : new(RejectionCodes.NotAnObject, "an event must be a JSON object");

    private static Rejection? CheckType(Item item)
    {
        if (!item.Raw.TryGetProperty("type", out var type) || type.ValueKind == JsonValueKind.Null)
        {
            item.Type = item.Ctx.DefaultType;
            return null;
        }
        MessageType? parsed = (type.ValueKind == JsonValueKind.String ? type.GetString() : null) switch
        {
            "track" => MessageType.Track,
            "identify" => MessageType.Identify,
            "page" => MessageType.Page,
            "screen" => MessageType.Screen,
            "group" => MessageType.Group,
            "alias" => MessageType.Alias,
            _ => null,
        };
        if (parsed is null)
            return new(RejectionCodes.UnsupportedType, $"type must be one of track, identify, page, screen, group, alias, not {Truncate(type.GetRawText())}");
        item.Type = parsed.Value;
        return null;
    }

    private static Rejection? CheckIdentity(Item item)
    {
        foreach (var (field, fallback) in new[] { ("userId", item.Ctx.UserId), ("anonymousId", item.Ctx.AnonymousId) })
        {
            var id = ReadId(item, field, fallback, out var invalid);
            if (invalid is not null) return invalid;
            if (id is null) continue;
            item.UserKey = id;
            item.Anonymous = field == "anonymousId";
            return null;
        }
        return new(RejectionCodes.MissingIdentity, "the event has neither userId nor anonymousId");
    }

    /// <summary>An id field as a string (a number is taken as its text); null when absent or empty.</summary>
    private static string? ReadId(Item item, string field, string? fallback, out Rejection? invalid)
    {
        invalid = null;
        if (!item.Raw.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
            return string.IsNullOrEmpty(fallback) ? null : fallback;
        var id = v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        };
        if (id is null) invalid = new(RejectionCodes.InvalidIdentity, $"{field} must be a string");
        else if (id.Length > MaxIdLength) invalid = new(RejectionCodes.InvalidIdentity, $"{field} is longer than {MaxIdLength} characters");
        return invalid is null && id is { Length: > 0 } ? id : null;
    }

    /// <summary>
    /// What identify, alias and group name besides the identity: the anonymous id an identify with
    /// both ids merges into the user, alias's previousId (an alias needs a userId), a group's groupId.
    /// </summary>
    private static Rejection? CheckLinks(Item item)
    {
        Rejection? invalid;
        switch (item.Type)
        {
            case MessageType.Identify when !item.Anonymous:
                var anonymous = ReadId(item, "anonymousId", item.Ctx.AnonymousId, out invalid);
                if (invalid is not null) return invalid;
                if (anonymous != item.UserKey) item.MergeKey = anonymous;
                return null;
            case MessageType.Alias:
                if (item.Anonymous) return new(RejectionCodes.MissingIdentity, "an alias needs userId, the id the previousId becomes");
                var previous = ReadId(item, "previousId", null, out invalid);
                if (invalid is not null) return new(RejectionCodes.MissingPreviousId, invalid.Value.Error);
                if (previous is null) return new(RejectionCodes.MissingPreviousId, "an alias needs previousId, the id to merge into userId");
                if (previous != item.UserKey) item.MergeKey = previous;
                return null;
            case MessageType.Group:
                var group = ReadId(item, "groupId", null, out invalid);
                if (invalid is not null) return new(RejectionCodes.MissingGroupId, invalid.Value.Error);
                if (group is null) return new(RejectionCodes.MissingGroupId, "a group call needs groupId, a non-empty string");
                item.GroupKey = group;
                return null;
            default:
                return null;
        }
    }

    /// <summary>The event name page and screen calls are stored under.</summary>
    public const string PageEvent = "PAGE", ScreenEvent = "SCREEN";

    private static Rejection? CheckName(Item item)
    {
        switch (item.Type)
        {
            case MessageType.Page: item.Name = PageEvent; return null;
            case MessageType.Screen: item.Name = ScreenEvent; return null;
            case not MessageType.Track: return null;
        }
        if (item.Raw.TryGetProperty("event", out var e) && e.ValueKind == JsonValueKind.String && e.GetString() is { Length: > 0 } name)
        {
            if (name.Length > QuarantineItem.MaxEventNameLength) return new(RejectionCodes.MissingEventName, $"event name is longer than {QuarantineItem.MaxEventNameLength} characters");
            item.Name = name;
            return null;
        }
        return new(RejectionCodes.MissingEventName, "a track event needs \"event\", a non-empty string");
    }

    private static Rejection? CheckProperties(Item item)
    {
        var field = item.Type is MessageType.Identify or MessageType.Group ? "traits" : "properties";
        if (!item.Raw.TryGetProperty(field, out var p) || p.ValueKind == JsonValueKind.Null) return null;
        if (p.ValueKind != JsonValueKind.Object) return new(RejectionCodes.InvalidProperties, $"{field} must be a JSON object");
        if (field == "traits") item.TraitsJson = p.GetRawText();
        else item.Properties = p;
        return null;
    }

    /// <summary>The page properties a page or screen call stores: its properties, with the call's "name" when they lack one.</summary>
    private static string PageProperties(Item item)
    {
        var props = item.Properties is { } p ? System.Text.Json.Nodes.JsonNode.Parse(p.GetRawText())!.AsObject() : [];
        if (!props.ContainsKey("name") && item.Raw.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
            props["name"] = n.GetString();
        return props.ToJsonString();
    }

    private Rejection? CheckTimestamp(Item item)
    {
        var receivedAt = item.Ctx.ReceivedAt;
        long timestamp = receivedAt;
        if (item.Raw.TryGetProperty("timestamp", out var ts) && ts.ValueKind != JsonValueKind.Null)
        {
            if (!TryParseInstant(ts, out timestamp))
                return new(RejectionCodes.InvalidTimestamp, $"timestamp {Truncate(ts.GetRawText())} is not an ISO-8601 date and time");
            JsonElement? sentAt = item.Raw.TryGetProperty("sentAt", out var s) && s.ValueKind != JsonValueKind.Null ? s : item.Ctx.SentAt;
            if (sentAt is { } sentElement)
            {
                if (!TryParseInstant(sentElement, out var sent))
                    return new(RejectionCodes.InvalidTimestamp, $"sentAt {Truncate(sentElement.GetRawText())} is not an ISO-8601 date and time");
                timestamp = receivedAt - (sent - timestamp);
            }
        }
        var o = options.Value;
        if (timestamp > receivedAt + o.MaxFutureMinutes * 60_000L)
            return new(RejectionCodes.TimestampInFuture, $"timestamp is more than {o.MaxFutureMinutes} minutes in the future");
        if (timestamp < receivedAt - o.MaxAgeDays * 86_400_000L)
            return new(RejectionCodes.TimestampTooOld, $"timestamp is older than the retention window of {o.MaxAgeDays} days");
        item.Timestamp = timestamp;
        return null;
    }

    private static Rejection? CheckMessageId(Item item)
    {
        if (item.Raw.TryGetProperty("messageId", out var m) && m.ValueKind != JsonValueKind.Null)
        {
            if (m.ValueKind != JsonValueKind.String || m.GetString() is not { Length: > 0 and <= MaxIdLength } id)
                return new(RejectionCodes.InvalidMessageId, $"messageId must be a non-empty string of at most {MaxIdLength} characters");
            item.MessageId = id;
            return null;
        }
        item.MessageId = Guid.CreateVersion7().ToString("N");
        return null;
    }

    private Rejection? CheckTaxonomy(Item item)
    {
        if (item.Name is null) return null; // identify, group, alias: no event
        return taxonomy.Current.Check(item.Name, item.Properties) is { } violation
            ? new(violation.Code, violation.Message)
            : null;
    }

    public static bool TryParseInstant(JsonElement e, out long unixMs)
    {
        unixMs = 0;
        if (e.ValueKind != JsonValueKind.String) return false;
        if (!DateTimeOffset.TryParse(e.GetString(), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var dto)) return false;
        unixMs = dto.ToUnixTimeMilliseconds();
        return true;
    }

    private static string Truncate(string s) => s.Length <= 60 ? s : s[..60] + "…";
}
