using System.Globalization;

namespace Dashboard.Tests.Operations;

/// <summary>
/// The data set of the crash and upgrade tests (also built into the Bench project, which writes the
/// upgrade fixture with it): ingest request bodies with sign-ups, feature use and app opens on many
/// days, times on day boundaries, traits, accounts, anonymous events merged into their user by
/// identify, and items for the quarantine; and the insight requests whose answers are compared.
/// </summary>
public static class StoreDataSet
{
    public const int Days = 28;

    /// <summary>The insight requests whose answers are compared, over the data set's days.</summary>
    public static IReadOnlyList<string> Paths(DateOnly last)
    {
        var range = $"from={last.AddDays(1 - Days):yyyy-MM-dd}&to={last:yyyy-MM-dd}";
        var week = $"from={last.AddDays(-6):yyyy-MM-dd}&to={last:yyyy-MM-dd}";
        return
        [
            $"/api/insights/activity?{range}&interval=day",
            $"/api/insights/activity?{range}&interval=week",
            $"/api/insights/activity?{week}&interval=day",
            $"/api/insights/features?{range}",
            $"/api/insights/features?{week}",
            $"/api/insights/retention?{range}",
            $"/api/insights/retention?{range}&breakdown=plan",
            $"/api/insights/activation?{range}&activation=FEATURE_ENGAGED&within=7d",
            $"/api/insights/funnel?steps=USER_REGISTERED,FEATURE_ENGAGED,APP_OPENED&window=14d&{range}",
            $"/api/insights/funnel?steps=APP_OPENED,FEATURE_ENGAGED&window=3d&{range}&breakdown=plan",
            $"/api/insights/trends?event=FEATURE_ENGAGED&measure=users&interval=day&{range}&breakdown=featureName",
            $"/api/insights/trends?event=APP_OPENED&measure=total&interval=week&{range}",
        ];
    }

    /// <summary>
    /// The data set as ingest request bodies for the <see cref="Days"/> days ending with
    /// <paramref name="last"/>: the same for the same arguments.
    /// </summary>
    public static List<object> Batches(string prefix, DateOnly last, int users, int seed = 7)
    {
        var random = new Random(seed);
        var first = last.AddDays(1 - Days).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        string At(int day, int second) => first.AddDays(day).AddSeconds(second).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        // Some events on the first and last second of a day.
        int Second() => random.Next(5) switch { 0 => 0, 1 => 86_399, _ => random.Next(86_400) };
        var items = new List<object>();
        for (var u = 0; u < users; u++)
        {
            var user = $"{prefix}-u{u}";
            var signup = random.Next(Days - 3);
            var plan = u % 3 == 0 ? "premium" : "free";
            items.Add(new { type = "identify", userId = user, traits = new { plan, email = $"{user}@example.com" }, timestamp = At(signup, 0) });
            if (u % 4 == 0) items.Add(new { type = "group", userId = user, groupId = $"{prefix}-acct{u % 3}", traits = new { plan = "enterprise" }, timestamp = At(signup, 1) });
            if (u % 5 == 0)
            {
                // Browsing before signing up, then merged into the user.
                var anonymous = $"{prefix}-anon{u}";
                items.Add(new { @event = "APP_OPENED", anonymousId = anonymous, properties = new { platform = "web" }, timestamp = At(Math.Max(0, signup - 1), Second()) });
                items.Add(new { type = "identify", userId = user, anonymousId = anonymous, timestamp = At(signup, 2) });
            }
            items.Add(new { @event = "USER_REGISTERED", userId = user, properties = new { referralSource = "search", planType = plan }, timestamp = At(signup, Second()) });
            for (var day = signup; day < Days; day++)
            {
                if (random.Next(3) == 0) continue;
                for (var k = random.Next(1, 4); k > 0; k--)
                    items.Add(random.Next(3) == 0
                        ? new { @event = "APP_OPENED", userId = user, properties = (object)new { platform = "ios" }, timestamp = At(day, Second()) }
                        : new { @event = "FEATURE_ENGAGED", userId = user, properties = (object)new { featureName = $"feature{random.Next(4)}", clickTarget = "button" }, timestamp = At(day, Second()) });
            }
            if (u % 7 == 0) items.Add(new { @event = "NOT_IN_TAXONOMY", userId = user, timestamp = At(signup, 3) });
        }
        // Sent in an order that is not the events' time order, as clients do.
        return [.. items.Select((item, i) => (item, key: random.Next())).OrderBy(x => x.key).Select(x => x.item)
            .Chunk(100).Select(chunk => (object)new { batch = chunk })];
    }
}
