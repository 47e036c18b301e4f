using Dashboard.Data;
using Dashboard.Ingest;

namespace Dashboard.Schema;

/// <summary>
/// The events every taxonomy holds: Segment's page and screen calls, stored as PAGE and SCREEN with
/// the properties analytics.js and the mobile libraries send (all optional strings; other
/// properties are allowed, as for every event). Added at start to a store that lacks them and
/// never deleted, so page views always count as activity and can be funnel steps.
/// </summary>
public static class BuiltInEvents
{
    private static readonly (string Name, string Description)[] PageProperties =
    [
        ("name", "The page's or screen's name, as the app calls it."),
        ("path", "The URL's path, e.g. /pricing."),
        ("url", "The full URL."),
        ("referrer", "The page the visitor came from."),
        ("title", "The document's title."),
    ];

    public static IReadOnlyList<string> Names { get; } = [EventValidator.PageEvent, EventValidator.ScreenEvent];

    public static bool IsBuiltIn(string name) => Names.Contains(name, StringComparer.Ordinal);

    public static IEnumerable<EventDefinition> Definitions(long now)
    {
        yield return Definition(EventValidator.PageEvent, "A page view in a web app (a Segment page call).", now);
        yield return Definition(EventValidator.ScreenEvent, "A screen view in a mobile app (a Segment screen call).", now);
    }

    private static EventDefinition Definition(string name, string description, long now) => new()
    {
        Name = name,
        Description = description,
        UpdatedAt = now,
        Properties = PageProperties.Select(p => new PropertyDefinition
        {
            Name = p.Name, Type = PropertyType.String, Required = false, Description = p.Description,
        }).ToList(),
    };
}
