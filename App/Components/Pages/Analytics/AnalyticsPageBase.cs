using Dashboard.Analytics;
using Dashboard.Live;
using Microsoft.AspNetCore.Components;

namespace Dashboard.Components.Pages.Analytics;

/// <summary>
/// What every analytics page shares: it loads when its query-string filters change (a view is a
/// shareable URL), shows a bad filter or an unreadable store as an error in words, and reloads
/// when new events are committed, at most once a second (less often for a slow view), without a page reload.
/// </summary>
public abstract class AnalyticsPageBase : ComponentBase, IDisposable
{
    [Inject] private IngestNotifier Notifier { get; set; } = default!;
    [Inject] protected NavigationManager Nav { get; set; } = default!;
    [Inject] protected TimeProvider Clock { get; set; } = default!;
    [Inject] private QueryGate Gate { get; set; } = default!;
    [Inject] private Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider Auth { get; set; } = default!;

    /// <summary>Why the page could not load, in words; null when it did.</summary>
    protected string? Error { get; private set; }

    /// <summary>True while a load for new filters runs (live refreshes load quietly).</summary>
    protected bool Loading { get; private set; }

    /// <summary>Changes whenever the filters change; the page reloads when it does.</summary>
    protected abstract string FilterKey { get; }

    protected abstract Task LoadAsync(CancellationToken ct);

    protected DateOnly Today => DateOnly.FromDateTime(Clock.GetUtcNow().UtcDateTime);

    private IDisposable? _subscription;
    private CancellationTokenSource? _load;
    private string? _loadedKey;

    private RefreshThrottle? _throttle;

    protected override void OnInitialized()
    {
        // Commits can come many times a second: one refresh at a time, at most one a second, and
        // rarer when the view's query is slow (RefreshThrottle).
        var throttle = _throttle = new RefreshThrottle(Clock, TimeSpan.FromSeconds(1), RefreshAsync);
        _subscription = Notifier.Subscribe(_ => InvokeAsync(throttle.RequestAsync));
    }

    protected override async Task OnParametersSetAsync()
    {
        if (FilterKey == _loadedKey) return;
        _loadedKey = FilterKey;
        Loading = true;
        var started = Clock.GetTimestamp();
        await RunLoadAsync();
        _throttle?.Ran(Clock.GetElapsedTime(started));
        Loading = false;
    }

    private async Task RunLoadAsync()
    {
        _load?.Cancel();
        var load = _load = new CancellationTokenSource();
        try
        {
            // A page's load counts against the person's insight queries like an API call (QueryGate).
            var caller = QueryGate.CallerOf((await Auth.GetAuthenticationStateAsync()).User);
            await Gate.RunAsync(caller, async token => { await LoadAsync(token); return true; }, load.Token);
            if (!load.IsCancellationRequested) Error = null;
        }
        catch (OperationCanceledException) when (load.IsCancellationRequested) { /* newer filters replaced this load */ }
        catch (InsightsParameterException ex) { Error = ex.Message; }
        catch (QueryBusyException ex) { Error = $"Too many queries at once: {ex.Message}."; }
        catch (QueryTimeoutException ex) { Error = $"This view took too long: {ex.Message}."; }
        catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
        {
            Error = $"The data could not be read: {ex.Message}";
        }
    }

    private async Task RefreshAsync()
    {
        if (_loadedKey is null) return;
        await RunLoadAsync();
        StateHasChanged();
    }

    /// <summary>Puts the filters in the query string; the page reloads through OnParametersSetAsync.</summary>
    protected void SetQuery(IReadOnlyDictionary<string, object?> parameters) =>
        Nav.NavigateTo(Nav.GetUriWithQueryParameters(parameters));

    /// <summary>A query-string value as a date (YYYY-MM-DD), or the fallback when absent.</summary>
    protected static string DateOr(string? value, DateOnly fallback) =>
        string.IsNullOrWhiteSpace(value) ? fallback.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : value;

    public virtual void Dispose()
    {
        _subscription?.Dispose();
        _load?.Cancel();
        _load?.Dispose();
        GC.SuppressFinalize(this);
    }
}
