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

    /// <summary>True in CI (<c>CI=true</c>), where nothing may be skipped for want of a tool.</summary>
    internal static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Why browser tests are skipped here, or null when they must run.</summary>
    public static string? SkipReason
    {
        get
        {
            return BrowserFixture.ChromiumInstalled || InCi ? null : MissingBrowserReason;
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

/// <summary>
/// A fact that runs a web app's JavaScript clients in Chromium: it also needs Node and npm (to
/// install and bundle <c>clients/web-test</c>). Skipped outside CI when either is missing.
/// </summary>
public sealed class WebClientFactAttribute : FactAttribute
{
    public WebClientFactAttribute()
    {
        if (SkipReason is { } reason) Skip = reason;
    }

    public static string? SkipReason
    {
        get
        {
            if (BrowserFactAttribute.SkipReason is { } browser) return browser;
            return Dashboard.Tests.TestSupport.NodePackage.NodeInstalled || BrowserFactAttribute.InCi ? null
                : "Node is not installed (it installs and bundles clients/web-test); web client tests are skipped outside CI.";
        }
    }
}
