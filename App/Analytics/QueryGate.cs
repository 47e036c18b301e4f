using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.Extensions.Options;

namespace Dashboard.Analytics;

/// <summary>A caller already runs as many insight queries as it may; answered 429.</summary>
public sealed class QueryBusyException(int limit)
    : Exception($"at most {limit} insight queries run at once for one caller; wait for the others to finish, then try again")
{
    public int Limit { get; } = limit;
}

/// <summary>A query ran past the time limit and was stopped; answered 503.</summary>
public sealed class QueryTimeoutException(TimeSpan limit)
    : Exception($"the query ran longer than the limit of {limit.TotalSeconds:0.###} s and was stopped (Analytics:QueryTimeoutSeconds); narrow the date range or the breakdown")
{
    public TimeSpan Limit { get; } = limit;
}

/// <summary>
/// Keeps readers from exhausting the server: each caller (an API key or a signed-in person) runs at
/// most <see cref="AnalyticsOptions.MaxConcurrentQueriesPerCaller"/> insight queries at once (one more
/// waits up to <see cref="AnalyticsOptions.QueryQueueSeconds"/> for a slot, then is refused), and
/// every query is cancelled after <see cref="AnalyticsOptions.QueryTimeoutSeconds"/>. Cancelling
/// interrupts the SQLite statement that runs (see <c>SqliteInterrupt</c>), so a stopped query
/// frees its connection and core, and its slot is given back only once it has really ended.
/// </summary>
public sealed class QueryGate(IOptions<AnalyticsOptions> options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _slots = new(StringComparer.Ordinal);

    /// <summary>Who is asking: the key's or the person's name, and which of the two it is.</summary>
    public static string CallerOf(ClaimsPrincipal user) =>
        $"{user.Identity?.AuthenticationType}:{user.Identity?.Name}";

    public async Task<T> RunAsync<T>(string caller, Func<CancellationToken, Task<T>> query, CancellationToken ct)
    {
        var o = options.Value;
        var limit = Math.Max(1, o.MaxConcurrentQueriesPerCaller);
        var slot = _slots.GetOrAdd(caller, _ => new SemaphoreSlim(limit, limit));
        if (!await slot.WaitAsync(TimeSpan.FromSeconds(Math.Max(0, o.QueryQueueSeconds)), ct)) throw new QueryBusyException(limit);

        var timeLimit = TimeSpan.FromSeconds(o.QueryTimeoutSeconds);
        using var timeout = new CancellationTokenSource(timeLimit, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        // Run where the caller runs (a page's load stays on its renderer); the slot is given back
        // only once the query has ended, interrupted or not.
        try
        {
            linked.Token.ThrowIfCancellationRequested();
            return await query(linked.Token);
        }
        catch (Exception) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new QueryTimeoutException(timeLimit);
        }
        catch (Exception ex) when (ct.IsCancellationRequested && ex is not OperationCanceledException)
        {
            // An interrupted statement fails with the store's own error; to the caller it is a cancellation.
            throw new OperationCanceledException(ct);
        }
        finally
        {
            slot.Release();
        }
    }
}

public static class QueryGateEndpoints
{
    /// <summary>
    /// Runs every endpoint of the group through the <see cref="QueryGate"/>: the handler's
    /// cancellation token becomes the gate's (request aborted or time limit), a refused query is
    /// 429 with Retry-After and a stopped one 503, both with <c>{ "error" }</c>.
    /// </summary>
    public static TBuilder WithQueryLimits<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var gate = http.RequestServices.GetRequiredService<QueryGate>();
            try
            {
                return await gate.RunAsync(QueryGate.CallerOf(http.User), async token =>
                {
                    for (var i = 0; i < context.Arguments.Count; i++)
                        if (context.Arguments[i] is CancellationToken) context.Arguments[i] = token;
                    return await next(context);
                }, http.RequestAborted);
            }
            catch (QueryBusyException ex)
            {
                http.Response.Headers.RetryAfter = "1";
                return Results.Json(new InsightsError(ex.Message), statusCode: StatusCodes.Status429TooManyRequests);
            }
            catch (QueryTimeoutException ex)
            {
                return Results.Json(new InsightsError(ex.Message), statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });
        builder.WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status429TooManyRequests, typeof(InsightsError), ["application/json"]));
        builder.WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status503ServiceUnavailable, typeof(InsightsError), ["application/json"]));
        return builder;
    }
}
