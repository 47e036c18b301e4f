namespace Dashboard.Client;

/// <summary>
/// An event of the taxonomy. The records in the file served at <c>GET /api/schema/telemetry.cs</c>
/// implement it, one per event, so an unknown event or a property of the wrong type does not compile.
/// </summary>
public interface ITelemetryEvent
{
    /// <summary>The event's name in the taxonomy, e.g. <c>USER_REGISTERED</c>.</summary>
    string Event { get; }

    /// <summary>The properties as sent: names as in the taxonomy, enum values as their strings, unset optional properties left out.</summary>
    IReadOnlyDictionary<string, object?> Properties { get; }
}
