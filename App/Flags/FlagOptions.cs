namespace Dashboard.Flags;

/// <summary>Settings under <c>Flags</c>.</summary>
public sealed class FlagOptions
{
    /// <summary>How often the in-memory flag state is re-read from the store (changes made elsewhere, experiments).</summary>
    public int ReloadIntervalMs { get; set; } = 500;

    /// <summary>How often in-memory evaluation counts are added to <c>FlagEvaluationCounts</c>.</summary>
    public int CountFlushSeconds { get; set; } = 5;

    /// <summary>How often the stored user traits that targeting rules read are re-read.</summary>
    public int TraitRefreshSeconds { get; set; } = 10;

    /// <summary>Largest OFREP request body.</summary>
    public int MaxBodyBytes { get; set; } = 65_536;
}
