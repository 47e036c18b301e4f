namespace Dashboard.Analytics.Statistics;

/// <summary>
/// A statistic, or the plain reason it cannot be computed (no exposures, a zero denominator, a
/// degenerate variance). Statistics never return NaN or infinity: they return this instead.
/// </summary>
public readonly record struct Computed<T>
{
    private readonly T _value;

    private Computed(T value, string? reason)
    {
        _value = value;
        CannotComputeReason = reason;
    }

    public static Computed<T> Of(T value) => new(value, null);

    public static Computed<T> CannotCompute(string reason) => new(default!, reason);

    public bool HasValue => CannotComputeReason is null;

    /// <summary>Why there is no value; null when there is one.</summary>
    public string? CannotComputeReason { get; }

    public T Value => HasValue ? _value : throw new InvalidOperationException($"Cannot compute: {CannotComputeReason}");
}

/// <summary>Counts of one arm of a comparison: users exposed and users converted.</summary>
public readonly record struct Proportion(long Exposed, long Converted)
{
    /// <summary>converted / exposed; cannot compute with no exposures.</summary>
    public Computed<double> Rate => Exposed <= 0
        ? Computed<double>.CannotCompute("no users exposed")
        : Computed<double>.Of((double)Converted / Exposed);
}
