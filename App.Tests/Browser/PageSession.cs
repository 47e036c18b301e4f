using Microsoft.Playwright;

namespace Dashboard.Tests.Browser;

/// <summary>
/// A page in its own browser context that records console errors and uncaught exceptions, and
/// knows when the Blazor circuit has taken over the prerendered page.
/// </summary>
public sealed class PageSession : IAsyncDisposable
{
    private const string ThemeToggle = "[data-testid=theme-toggle]";

    /// <summary>True when the page background is dark (mean RGB channel below 128).</summary>
    private const string IsDarkScript = """
        () => {
            const channels = getComputedStyle(document.body).backgroundColor.match(/[\d.]+/g);
            if (!channels) return false;
            const [r, g, b] = channels.map(Number);
            return (r + g + b) / 3 < 128;
        }
        """;

    private readonly IBrowserContext _context;
    private readonly List<BrowserError> _errors = [];
    private readonly Lock _gate = new();

    public PageSession(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error") Record(new BrowserError("console error", message.Text, message.Location));
        };
        page.PageError += (_, error) => Record(new BrowserError("page error", error, page.Url));
    }

    public IPage Page { get; }

    public IBrowserContext Context => _context;

    public IReadOnlyList<BrowserError> Errors
    {
        get { lock (_gate) return [.. _errors]; }
    }

    private void Record(BrowserError error)
    {
        lock (_gate) _errors.Add(error);
    }

    public Task<IResponse?> GotoAsync(string path) =>
        Page.GotoAsync(path, new PageGotoOptions { WaitUntil = WaitUntilState.Load });

    public Task<bool> IsDarkAsync() => Page.EvaluateAsync<bool>(IsDarkScript);

    public async Task WaitForDarkAsync(bool dark) =>
        await Page.WaitForFunctionAsync($"() => ({IsDarkScript})() === {(dark ? "true" : "false")}", null,
            new PageWaitForFunctionOptions { Timeout = BrowserFixture.TimeoutMs, PollingInterval = 50 });

    /// <summary>
    /// Waits until the circuit handles events. A click on the prerendered page is lost, so this
    /// clicks the dark-mode toggle until the theme flips, waiting longer after each click in case
    /// the server is merely slow. Returns the theme the page started in. The theme afterwards is
    /// not guaranteed: the layout applies the system preference once after its first interactive
    /// render, which may land after the flip.
    /// </summary>
    public async Task<bool> WaitForInteractiveAsync()
    {
        await Page.WaitForFunctionAsync("() => window.Blazor !== undefined", null,
            new PageWaitForFunctionOptions { Timeout = BrowserFixture.TimeoutMs });
        var startedDark = await IsDarkAsync();
        var deadline = DateTime.UtcNow.AddMilliseconds(BrowserFixture.TimeoutMs * 2);
        var wait = 500f;
        while (true)
        {
            await Page.Locator(ThemeToggle).ClickAsync();
            try
            {
                await Page.WaitForFunctionAsync($"() => ({IsDarkScript})() !== {(startedDark ? "true" : "false")}", null,
                    new PageWaitForFunctionOptions { Timeout = wait, PollingInterval = 50 });
                return startedDark;
            }
            catch (TimeoutException) when (DateTime.UtcNow < deadline)
            {
                wait = Math.Min(wait * 2, 8_000);
            }
        }
    }

    public async ValueTask DisposeAsync() => await _context.CloseAsync();
}

public sealed record BrowserError(string Kind, string Text, string Location)
{
    /// <summary>
    /// Chromium reports a document answered with an error status as a failed resource load; for a
    /// page that is meant to answer 404 that is the expected status, not a fault of the page.
    /// </summary>
    public bool IsErrorStatusOf(string url) =>
        Kind == "console error"
        && Text.StartsWith("Failed to load resource: the server responded with a status of", StringComparison.Ordinal)
        && Location.StartsWith(url, StringComparison.Ordinal);

    public override string ToString() => $"{Kind}: {Text} at {Location}";
}
