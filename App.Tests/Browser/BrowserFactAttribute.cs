namespace Dashboard.Tests.Browser;

/// <summary>
/// A fact that needs Debian's Chromium. Skipped on a developer machine without it; in CI
/// (<c>CI=true</c>) it runs anyway, so a missing browser fails the build instead of hiding the tests.
/// </summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    private const string MissingBrowserReason =
        "Chromium is not installed at " + BrowserFixture.ChromiumPath + " (apt-get install chromium); browser tests are skipped outside CI.";

    public BrowserFactAttribute()
    {
        if (SkipReason is { } reason) Skip = reason;
    }

    /// <summary>Why browser tests are skipped here, or null when they must run.</summary>
    public static string? SkipReason
    {
        get
        {
            var inCi = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
            return BrowserFixture.ChromiumInstalled || inCi ? null : MissingBrowserReason;
        }
    }
}

/// <summary>The theory counterpart of <see cref="BrowserFactAttribute"/>, with the same skip rule.</summary>
public sealed class BrowserTheoryAttribute : TheoryAttribute
{
    public BrowserTheoryAttribute()
    {
        if (BrowserFactAttribute.SkipReason is { } reason) Skip = reason;
    }
}
