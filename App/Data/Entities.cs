namespace Dashboard.Data;

/// <summary>An accepted event. Timestamps are Unix milliseconds (UTC).</summary>
public sealed class EventRecord
{
    public long Id { get; set; }
    public required string MessageId { get; set; }
    public required string Name { get; set; }
    public long UserId { get; set; }
    public long Timestamp { get; set; }
    public long ReceivedAt { get; set; }
    public string Properties { get; set; } = "{}";
}

/// <summary>Per-identity facts, kept apart from events so the event table stays append-only.</summary>
public sealed class UserRecord
{
    public long Id { get; set; }
    public required string Key { get; set; }
    public string Traits { get; set; } = "{}";
    public long FirstSeen { get; set; }
    public long LastSeen { get; set; }
    /// <summary>True once the key came as a userId (not only as an anonymousId): a known user, never merged into another.</summary>
    public bool Known { get; set; }
    /// <summary>An anonymous identity merged into a user (identify with both ids, or alias): the user's row. Its events were moved there.</summary>
    public long? MergedInto { get; set; }
    /// <summary>The account (group) of the identity's latest group call.</summary>
    public long? AccountId { get; set; }
}

/// <summary>An account, from Segment's group calls: its id and traits, the breakdown key <c>group.&lt;trait&gt;</c>.</summary>
public sealed class AccountRecord
{
    public long Id { get; set; }
    public required string Key { get; set; }
    public string Traits { get; set; } = "{}";
    public long FirstSeen { get; set; }
    public long UpdatedAt { get; set; }
}

public sealed class QuarantinedEvent
{
    public long Id { get; set; }
    public long ReceivedAt { get; set; }
    public string? EventName { get; set; }
    public required string Reason { get; set; }
    public required string Payload { get; set; }
    public long? ReplayedAt { get; set; }
}

/// <summary>Running totals per event name, kept by the batch writer.</summary>
public sealed class EventStat
{
    public required string Name { get; set; }
    public long Count { get; set; }
    public long LastSeen { get; set; }
}

public sealed class EventDefinition
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public string Description { get; set; } = "";
    public List<PropertyDefinition> Properties { get; set; } = [];
    public long UpdatedAt { get; set; }
}

public sealed class PropertyDefinition
{
    public required string Name { get; set; }
    public PropertyType Type { get; set; }
    public bool Required { get; set; }
    public string Description { get; set; } = "";
    public List<string> EnumValues { get; set; } = [];
}

public enum PropertyType { String, Number, Boolean, Enum }

public sealed class FlagRecord
{
    public required string Key { get; set; }
    public string Description { get; set; } = "";
    public string Owner { get; set; } = "";
    public bool Enabled { get; set; }
    /// <summary>Rollout in hundredths of a percent (0..10000), so two decimals are exact.</summary>
    public int RolloutBasisPoints { get; set; }
    public string Rules { get; set; } = "[]";
    public string Variants { get; set; } = "[]";
    public long UpdatedAt { get; set; }
    /// <summary>The account name of whoever made the last change.</summary>
    public string UpdatedBy { get; set; } = "";
}

/// <summary>One change to a flag: who, when, and the flag's state before and after (JSON; null before a create).</summary>
public sealed class FlagAuditEntry
{
    public long Id { get; set; }
    public required string FlagKey { get; set; }
    public required string Actor { get; set; }
    public long At { get; set; }
    public required string Action { get; set; }
    public string? Before { get; set; }
    public string? After { get; set; }
}

/// <summary>Evaluations of a flag per UTC hour, flushed from in-memory counters.</summary>
public sealed class FlagEvaluationCount
{
    public required string FlagKey { get; set; }
    public long HourStart { get; set; }
    public long Count { get; set; }
}

/// <summary>An A/B comparison on a flag's variants. Times are Unix milliseconds (UTC).</summary>
public sealed class ExperimentRecord
{
    public required string Key { get; set; }
    public required string FlagKey { get; set; }
    public string Hypothesis { get; set; } = "";
    /// <summary>JSON <c>[{ "key", "weight" }]</c>, control first, weights in percent.</summary>
    public string Variants { get; set; } = "[]";
    public required string GoalEvent { get; set; }
    /// <summary>JSON property filter on the goal event, e.g. <c>{ "templateUsed": "kanban" }</c>; "{}" for none.</summary>
    public string GoalFilter { get; set; } = "{}";
    public long? Start { get; set; }
    public long? End { get; set; }
    /// <summary>Relative lift to detect, e.g. 0.10 = +10% of the control rate.</summary>
    public double MinimumDetectableEffect { get; set; }
    public ExperimentState State { get; set; }
    /// <summary>True: the verdict reads the fixed-horizon test at the planned sample size; false (default): the always-valid confidence sequence.</summary>
    public bool FixedHorizon { get; set; }
    /// <summary>JSON <c>[{ "event", "where"?, "kind": "secondary"|"guardrail", "direction": "increase"|"decrease" }]</c>; "[]" for none.</summary>
    public string Metrics { get; set; } = "[]";
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }
}

public enum ExperimentState { Draft, Running, Stopped }

/// <summary>A user's first exposure to an experiment's flag: the variant they were served and when.</summary>
public sealed class ExposureRecord
{
    public long Id { get; set; }
    public required string ExperimentKey { get; set; }
    public required string FlagKey { get; set; }
    public long UserId { get; set; }
    public required string Variant { get; set; }
    public long Timestamp { get; set; }
}

/// <summary>A view saved from an analytics page (<see cref="Page"/>: funnels, trends); <see cref="Query"/> is the page's query string.</summary>
public sealed class SavedFunnelRecord
{
    public int Id { get; set; }
    public string Page { get; set; } = "funnels";
    public required string Name { get; set; }
    public required string Query { get; set; }
    public string CreatedBy { get; set; } = "";
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }
}

public sealed class ApiKeyRecord
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public required string Prefix { get; set; }
    public required string Hash { get; set; }
    public required string Role { get; set; }
    public long CreatedAt { get; set; }
    public long? RevokedAt { get; set; }
    /// <summary>The web origins (scheme://host[:port]) browsers may use the key from, space-separated; empty: servers only.</summary>
    public string Origins { get; set; } = "";
}

/// <summary>
/// Rollup: one row per identity and UTC day (days since 1970-01-01) with events, and the identity's
/// previous active day (null on their first), so distinct users over any run of days is a count of
/// the rows whose previous day falls before the run. Kept by the rollup job up to its watermark.
/// </summary>
public sealed class UserDay
{
    public long UserId { get; set; }
    public long Day { get; set; }
    public long Events { get; set; }
    public long? PrevDay { get; set; }
}

/// <summary>Rollup: FEATURE_ENGAGED events per identity, feature name and UTC day, with the previous day of that pair.</summary>
public sealed class FeatureUserDay
{
    public long UserId { get; set; }
    public required string Feature { get; set; }
    public long Day { get; set; }
    public long Events { get; set; }
    public long? PrevDay { get; set; }
}

/// <summary>
/// Rollup of <see cref="UserDay"/>: how many identities were active on a day with a given previous
/// active day (<c>Rollup.FirstDay</c>, -1, for a first day ever), and their events. Kept by
/// triggers on UserDays, so it always equals a GROUP BY of that table.
/// </summary>
public sealed class UserDayCount
{
    public long Day { get; set; }
    public long PrevDay { get; set; }
    public long Users { get; set; }
    public long Events { get; set; }
}

/// <summary>The same as <see cref="UserDayCount"/> for <see cref="FeatureUserDay"/>, per feature name.</summary>
public sealed class FeatureDayCount
{
    public long Day { get; set; }
    public required string Feature { get; set; }
    public long PrevDay { get; set; }
    public long Users { get; set; }
    public long Events { get; set; }
}

/// <summary>How far a rollup has read the Events table: every event with Id ≤ Watermark is in it.</summary>
public sealed class RollupState
{
    public required string Name { get; set; }
    public long Watermark { get; set; }
}

/// <summary>
/// A dated remark shown on time charts: a note an admin wrote, or the record of an experiment
/// starting or stopping or of a taxonomy change, written with the change. Flag changes are not
/// copied here: their annotations are read from <see cref="FlagAuditEntry"/>.
/// </summary>
public sealed class AnnotationRecord
{
    public long Id { get; set; }
    /// <summary>When it happened (Unix milliseconds, UTC).</summary>
    public long At { get; set; }
    /// <summary>note, experiment or taxonomy.</summary>
    public required string Kind { get; set; }
    public required string Text { get; set; }
    /// <summary>The account or key name of whoever made the change or wrote the note.</summary>
    public required string By { get; set; }
    /// <summary>The dashboard page of what changed (e.g. /experiments/KEY), relative to the app's base; null for a note.</summary>
    public string? Link { get; set; }
    public long CreatedAt { get; set; }
}

/// <summary>A named set of users: <see cref="Definition"/> is the JSON of <c>Cohorts.CohortDefinition</c>. Times are Unix milliseconds (UTC).</summary>
public sealed class CohortRecord
{
    public required string Key { get; set; }
    public required string Name { get; set; }
    public string Definition { get; set; } = "{}";
    public long UpdatedAt { get; set; }
    /// <summary>The account name (or API key name) of whoever made the last change.</summary>
    public string UpdatedBy { get; set; } = "";
    /// <summary>When the membership was last computed; null before the first computation.</summary>
    public long? ComputedAt { get; set; }
    /// <summary>Members at <see cref="ComputedAt"/>.</summary>
    public long Size { get; set; }
}

/// <summary>A user (Users.Id, never a merged anonymous id) in a cohort at its last computation.</summary>
public sealed class CohortMember
{
    public required string CohortKey { get; set; }
    public long UserId { get; set; }
}

/// <summary>A cohort's size as the recurring recomputation found it on a UTC day (days since 1970-01-01).</summary>
public sealed class CohortSize
{
    public required string CohortKey { get; set; }
    public long Day { get; set; }
    public long Size { get; set; }
}
