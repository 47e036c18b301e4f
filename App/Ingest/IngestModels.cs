using System.Text.Json;

namespace Dashboard.Ingest;

/// <summary>Segment's message types: page and screen are stored as the events PAGE and SCREEN.</summary>
public enum MessageType { Track, Identify, Page, Screen, Group, Alias }

/// <summary>An item that passed validation, ready for the writer.</summary>
public sealed record ValidEvent(
    MessageType Type,
    string UserKey,
    string? Name,
    string PropertiesJson,
    string? TraitsJson,
    long Timestamp,
    string MessageId)
{
    /// <summary>identify: the anonymous id to merge into <see cref="UserKey"/>; alias: the previousId.</summary>
    public string? MergeKey { get; init; }

    /// <summary>group: the account's id (its traits are <see cref="TraitsJson"/>).</summary>
    public string? GroupKey { get; init; }

    /// <summary>True when <see cref="UserKey"/> is an anonymousId (no userId named the item).</summary>
    public bool Anonymous { get; init; }

    /// <summary>The item's index in its request, for a refusal the writer decides (a merge that must not happen).</summary>
    public int Index { get; init; }
}

public sealed record QuarantineItem(string? EventName, string Reason, string Payload)
{
    /// <summary>
    /// An item for the quarantine, its payload cut to <paramref name="maxChars"/> characters (an
    /// oversize event is kept as its beginning, enough to see what it was, not the whole of it) and
    /// its event name to 200, the longest a valid name may be. <paramref name="cutBecause"/>, when
    /// given, says in the reason which limit cut the payload.
    /// </summary>
    public static QuarantineItem Of(string? eventName, string reason, string payload, int maxChars, string? cutBecause = null)
    {
        if (eventName is { Length: > MaxEventNameLength }) eventName = eventName[..MaxEventNameLength];
        if (payload.Length <= maxChars) return new(eventName, reason, payload);
        var because = cutBecause is null ? "" : ": " + cutBecause;
        return new(eventName, $"{reason} (payload cut to its first {maxChars} of {payload.Length} characters{because})", payload[..maxChars]);
    }

    public const int MaxEventNameLength = 200;
}

/// <summary>A user's exposure to an experiment's flag, written with INSERT-or-ignore so the first one stays.</summary>
public sealed record ExposureItem(string ExperimentKey, string FlagKey, string UserKey, string Variant, long Timestamp);

public sealed record ItemRejection(int Index, string Code, string Error);

/// <summary>The typed reasons an item can be refused for.</summary>
public static class RejectionCodes
{
    public const string TooLarge = "event_too_large";
    public const string NotAnObject = "not_an_object";
    public const string UnsupportedType = "unsupported_type";
    public const string MissingIdentity = "missing_identity";
    public const string InvalidIdentity = "invalid_identity";
    public const string MissingEventName = "missing_event_name";
    public const string InvalidProperties = "invalid_properties";
    public const string InvalidTimestamp = "invalid_timestamp";
    public const string TimestampInFuture = "timestamp_in_future";
    public const string TimestampTooOld = "timestamp_too_old";
    public const string InvalidMessageId = "invalid_message_id";
    public const string UnknownEvent = "unknown_event";
    public const string MissingProperty = "missing_property";
    public const string WrongPropertyType = "wrong_property_type";
    public const string NotInEnum = "value_not_in_enum";
    public const string MissingGroupId = "missing_group_id";
    public const string MissingPreviousId = "missing_previous_id";
    public const string MergeRefused = "merge_refused";
}

/// <summary>
/// Defaults a batch gives its items: identity, the client's send time, and the message type of an
/// item without "type" (the path's: /v1/page takes page calls; track elsewhere).
/// </summary>
public sealed record BatchContext(JsonElement? SentAt, string? UserId, string? AnonymousId, long ReceivedAt,
    MessageType DefaultType = MessageType.Track);
