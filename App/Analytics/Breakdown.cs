using Dashboard.Data;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Analytics;

/// <summary>Where a breakdown's value comes from: a property of the event, a trait of the user, or a trait of the user's account.</summary>
public enum BreakdownSource { EventProperty, UserTrait, AccountTrait }

/// <summary>
/// What to group an insight by. In the read API: <c>user.KEY</c> a user trait (Users.Traits),
/// <c>group.KEY</c> a trait of the account of the user's latest group call (Accounts.Traits),
/// <c>event.KEY</c> a property of the event; a bare <c>KEY</c> is an event property where the
/// insight has events to read (funnels, trends), else a user trait (activation, retention).
/// </summary>
public sealed record Breakdown(BreakdownSource Source, string Key)
{
    public const string UserPrefix = "user.";
    public const string AccountPrefix = "group.";
    public const string EventPrefix = "event.";

    public static Breakdown User(string key) => new(BreakdownSource.UserTrait, key);

    public static Breakdown Account(string key) => new(BreakdownSource.AccountTrait, key);

    public static Breakdown Event(string key) => new(BreakdownSource.EventProperty, key);

    public bool ByTrait => Source != BreakdownSource.EventProperty;

    /// <summary>
    /// The <c>breakdown</c> query-string value; <paramref name="bare"/> is what a key without a
    /// prefix means. An <see cref="InsightsParameterException"/> when it names nothing.
    /// </summary>
    public static Breakdown? Parse(string? value, BreakdownSource bare)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var (source, key) =
            value.StartsWith(UserPrefix, StringComparison.Ordinal) ? (BreakdownSource.UserTrait, value[UserPrefix.Length..])
            : value.StartsWith(AccountPrefix, StringComparison.Ordinal) ? (BreakdownSource.AccountTrait, value[AccountPrefix.Length..])
            : bare == BreakdownSource.EventProperty && value.StartsWith(EventPrefix, StringComparison.Ordinal) ? (bare, value[EventPrefix.Length..])
            : (bare, value);
        if (key.Length == 0)
            throw new InsightsParameterException($"'breakdown' names no {(bare == BreakdownSource.EventProperty ? "property" : "trait")}");
        return new Breakdown(source, key);
    }

    /// <summary>
    /// Each user's value of a trait breakdown, read in C# from the stored JSON (so the SQL is the
    /// same on every database): the user's trait, or their account's; <see cref="JsonText.None"/>
    /// when the key is missing, the user has no account or is not found.
    /// </summary>
    public async Task<Func<long, string>> ValuesAsync(DashboardDbContext db, IEnumerable<long> userIds, CancellationToken ct)
    {
        var ids = userIds.Distinct().ToArray();
        var users = db.TrackedUsers.AsNoTracking().Where(u => ids.Contains(u.Id));
        var traits = Source switch
        {
            BreakdownSource.UserTrait => users.Select(u => new { u.Id, u.Traits }),
            BreakdownSource.AccountTrait => users.Join(db.Accounts, u => u.AccountId, a => (long?)a.Id, (u, a) => new { u.Id, a.Traits }),
            _ => throw new InvalidOperationException("an event property is read from the events, not the users"),
        };
        var values = await traits.ToDictionaryAsync(u => u.Id, u => JsonText.Value(u.Traits, Key), ct);
        return id => values.GetValueOrDefault(id, JsonText.None);
    }
}
