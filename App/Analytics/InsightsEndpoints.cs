using Dashboard.Access;
using Dashboard.Analytics.Activation;
using Dashboard.Analytics.Activity;
using Dashboard.Analytics.Engagement;
using Dashboard.Analytics.Funnels;
using Dashboard.Analytics.Retention;
using Dashboard.Analytics.Trends;
using Dashboard.Cohorts;
using P = Dashboard.Analytics.InsightsParameters;

namespace Dashboard.Analytics;

/// <summary>
/// The read API under <c>/api/insights</c>: thin handlers that parse the query string, run one query
/// and answer JSON, or CSV with <c>format=csv</c>. A parameter the API cannot use is a 400 with
/// <c>{ "error" }</c>.
/// </summary>
public static class InsightsEndpoints
{
    private const string AllLabel = "(all)";
    private const string TraitBreakdownNote = "breakdown: a user trait (cohort, plan or user.<trait>) or group.<trait>, a trait of the account of the user's latest group call; " +
                                              "users without the trait or without an account are (none); the 25 largest groups and (other). ";
    private const string CohortNote = "cohort: a cohort key; only its members' events count (400 for an unknown cohort). ";
    private const string CsvNote = "With format=csv the same figures come as a text/csv table (header row, one row per item).";

    public static RouteGroupBuilder MapInsights(this IEndpointRouteBuilder app)
    {
        // Every read endpoint: a read or admin key, or a signed-in session.
        var group = app.MapGroup("/api/insights")
            .RequireAuthorization(AccessPolicies.Reader)
            .WithTags("Insights")
            // Every insights endpoint answers bad parameters with 400 and an InsightsError.
            .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status400BadRequest, typeof(InsightsError), ["application/json"]))
            .AddEndpointFilter(async (context, next) =>
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                try
                {
                    return await next(context);
                }
                catch (InsightsParameterException ex)
                {
                    return Results.Json(new InsightsError(ex.Message), statusCode: StatusCodes.Status400BadRequest);
                }
                finally
                {
                    var insight = context.HttpContext.Request.Path.Value?["/api/insights/".Length..] ?? "";
                    Operations.DashboardMeters.InsightDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds,
                        new KeyValuePair<string, object?>("insight", insight));
                }
            })
            .WithQueryLimits();

        group.MapGet("/activity", ActivityAsync)
            .WithName("InsightsActivity")
            .WithSummary("Active users and events per day or ISO week")
            .WithDescription("from, to: inclusive UTC days (YYYY-MM-DD, at most 400 days); interval: day (default) or week; format: json or csv. " +
                             "Active users = distinct identities with at least one event in the bucket; every bucket is listed. " + CsvNote)
            .Produces<ActivityResult>();

        group.MapGet("/activation", ActivationAsync)
            .WithName("InsightsActivation")
            .WithSummary("Signed-up, activated and pending users and the activation rate")
            .WithDescription("Users whose first signup event (default USER_REGISTERED) falls in [from, to]; activated when the activation event " +
                             "(default PROJECT_CREATED) follows within `within` (default 7d, inclusive). rate = activated / (signedUp - pending), " +
                             "null when that is 0. " + TraitBreakdownNote + CohortNote + CsvNote)
            .Produces<ActivationResult>();

        group.MapGet("/funnel", FunnelAsync)
            .WithName("InsightsFunnel")
            .WithSummary("Ordered funnel with a window from the first step")
            .WithDescription("steps: at least two comma-separated event names, each optionally with property conditions NAME[key=value][key2=value2] (values compare as text); window: default 14d (exactly the window counts); " +
                             "from, to bound the first step. breakdown: a property of the first step's event, user.<trait> or group.<trait> (a trait of the user's account); " +
                             "the 25 largest groups and (other). exclude: events written like steps (comma-separated); one strictly between two steps of an attempt " +
                             "(not at the same millisecond as either) ends it at the earlier step. order: ordered (default) or strict (no other event of the user strictly between two steps). " +
                             "Every step from step 2 answers timeToConvert (p50, p90 by nearest rank, histogram with upper edges 60, 300, 3600, 86400, 604800 seconds and beyond). " +
                             "include: timeToConvert (its columns in CSV) and/or trend (per ISO week of the best attempt's first step: started, converted, rate). " + CohortNote + CsvNote)
            .Produces<FunnelResult>();

        group.MapGet("/funnels/people", FunnelPeopleAsync)
            .WithName("InsightsFunnelPeople")
            .WithSummary("The people behind a funnel step: who dropped off before it, or who reached it")
            .WithDescription("The funnel's parameters (steps, window, from, to, exclude, order; no breakdown) and step=k (1-based), outcome=dropped (default: " +
                             "users whose best attempt reached step k-1 and went no further; k from 2) or converted (users whose best attempt reached step k). " +
                             "The same matching as the funnel, so the list's length is the step's figure. Ordered by the best attempt's start; limit 1 to 200 " +
                             "(default 50), cursor: the nextCursor of the previous page (null on the last page). Each person: id (for /api/people/{id}), " +
                             "reachedSteps, startedAt, lastStepAt.")
            .Produces<FunnelPeopleResult>();

        group.MapGet("/features", FeaturesAsync)
            .WithName("InsightsFeatures")
            .WithSummary("Feature engagement: events, users, adoption and weekly trend per featureName")
            .WithDescription("FEATURE_ENGAGED events in [from, to] by properties.featureName; adoption = users / active users of the period; " +
                             "unused when adoption is under Analytics:UnusedAdoption (default 0.05). " + CsvNote)
            .Produces<FeatureEngagementResult>();

        group.MapGet("/trends", TrendsAsync)
            .WithName("InsightsTrends")
            .WithSummary("One event over time: total, users, per user, sum or average of a property, per day, week or month")
            .WithDescription("event: the event name; where: property=value conditions separated by ';' (compared as text); " +
                             "measure: total (default), users, perUser, sum:PROPERTY or avg:PROPERTY; interval: day (default), week (ISO, by Monday) or month; " +
                             "from, to: inclusive UTC days. breakdown: an event property, user.<trait> or group.<trait> (a trait of the user's account), the 25 largest groups and (other). " +
                             "compare=previous adds the period of as many days before from. A series' total is the measure over the whole range. " + CohortNote + CsvNote)
            .Produces<TrendsResult>();

        group.MapGet("/retention", RetentionAsync)
            .WithName("InsightsRetention")
            .WithSummary("Weekly retention cohorts by the ISO week of each user's first event")
            .WithDescription("Cohorts of users whose first event falls in [from, to]; cell n = share of the cohort active in week n, up to the current week. " +
                             TraitBreakdownNote + "With a breakdown, `breakdown` lists the same cohorts per group; the CSV then has a breakdown column, (all) rows first. " + CsvNote)
            .Produces<RetentionResult>();

        return group;
    }

    private static async Task<IResult> FunnelPeopleAsync(string? steps, string? window, string? from, string? to, string? exclude,
        string? order, string? step, string? outcome, string? limit, string? cursor, FunnelQuery query, CancellationToken ct)
    {
        var request = FunnelRequest.Parse(steps, window, from, to, null, exclude, order);
        var kind = outcome switch
        {
            null or "" or "dropped" => FunnelOutcome.Dropped,
            "converted" => FunnelOutcome.Converted,
            _ => throw new InsightsParameterException($"'outcome' must be dropped or converted, not '{outcome}'"),
        };
        var first = kind == FunnelOutcome.Dropped ? 2 : 1;
        if (!int.TryParse(step, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var k) || k < first || k > request.Steps.Count)
            throw new InsightsParameterException($"'step' must be a step number from {first} to {request.Steps.Count} for outcome={(kind == FunnelOutcome.Dropped ? "dropped" : "converted")}");
        int size;
        Dashboard.People.PeopleCursor? after;
        try
        {
            size = Dashboard.People.PeopleCursor.Limit(limit);
            after = Dashboard.People.PeopleCursor.Parse("cursor", cursor);
        }
        catch (Dashboard.People.PeopleParameterException ex)
        {
            throw new InsightsParameterException(ex.Message);
        }
        var page = await query.PeopleAsync(request, k, kind, size, after is { } c ? (c.Time, c.Id) : null, ct);
        return Results.Ok(new FunnelPeopleResult(k, kind == FunnelOutcome.Dropped ? "dropped" : "converted", page.People,
            page.Next is { } n ? new Dashboard.People.PeopleCursor(n.StartMs, n.UserId).ToString() : null));
    }

    private static async Task<IResult> ActivityAsync(string? from, string? to, string? interval, string? format,
        ActivityQuery query, CancellationToken ct)
    {
        var range = P.Range(from, to);
        var bucket = P.Interval(interval);
        var output = P.Format(format);
        var result = await query.RunAsync(range.From, range.To, bucket, ct);
        if (output == InsightsFormat.Json) return Results.Ok(result);
        var csv = new Csv().Row("start", "activeUsers", "events");
        foreach (var p in result.Points) csv.Row(p.Start, p.ActiveUsers, p.Events);
        return csv.ToResult();
    }

    private static async Task<IResult> ActivationAsync(string? from, string? to, string? signup, string? activation,
        string? within, string? breakdown, string? cohort, string? format, ActivationQuery query, CancellationToken ct)
    {
        var range = P.Range(from, to);
        var request = new ActivationRequest(range.From, range.To,
            P.EventName(signup, ActivationRequest.DefaultSignup),
            P.EventName(activation, ActivationRequest.DefaultActivation),
            P.Duration("within", within, ActivationRequest.DefaultWithin),
            Breakdown.Parse(breakdown, BreakdownSource.UserTrait)) { Cohort = CohortFilter.Parse(cohort) };
        var output = P.Format(format);
        var result = await query.RunAsync(request, ct);
        if (output == InsightsFormat.Json) return Results.Ok(result);
        var csv = new Csv();
        if (result.Breakdown is null)
            return csv.Row("signedUp", "activated", "pending", "rate")
                .Row(result.SignedUp, result.Activated, result.Pending, result.Rate).ToResult();
        csv.Row("breakdown", "signedUp", "activated", "pending", "rate")
            .Row(AllLabel, result.SignedUp, result.Activated, result.Pending, result.Rate);
        foreach (var g in result.Breakdown) csv.Row(g.Value, g.SignedUp, g.Activated, g.Pending, g.Rate);
        return csv.ToResult();
    }

    private static async Task<IResult> FunnelAsync(string? steps, string? window, string? from, string? to,
        string? breakdown, string? exclude, string? order, string? include, string? cohort, string? format, FunnelQuery query, CancellationToken ct)
    {
        var request = FunnelRequest.Parse(steps, window, from, to, breakdown, exclude, order, include) with { Cohort = CohortFilter.Parse(cohort) };
        var output = P.Format(format);
        var result = await query.RunAsync(request, ct);
        if (output == InsightsFormat.Json) return Results.Ok(result);
        // One row per step; openWindowUsers belongs to the whole funnel (or group) and repeats on its rows.
        // include=timeToConvert adds p50, p90 and a column per histogram bucket; include=trend a
        // second table (week, started, converted, rate) after an empty line.
        string[] header = ["breakdown", "step", "event", "users", "conversionFromStart", "conversionFromPrevious",
            "medianSecondsFromPrevious", "openWindowUsers"];
        // JSON always answers time to convert (the contract); the CSV adds its columns when asked, so its shape stays put.
        var timesInCsv = (include ?? "").Split(',', StringSplitOptions.TrimEntries).Contains("timeToConvert");
        if (timesInCsv)
            header = [.. header, "p50SecondsFromPrevious", "p90SecondsFromPrevious",
                .. FunnelMatcher.HistogramEdges.Select(e => $"usersUpTo{e}s"), "usersBeyond"];
        var csv = new Csv().Row(header);
        void Rows(string label, IReadOnlyList<FunnelStep> rows, int open)
        {
            for (var i = 0; i < rows.Count; i++)
            {
                var s = rows[i];
                object?[] row = [label, i + 1, s.Event, s.Users, s.ConversionFromStart, s.ConversionFromPrevious, s.MedianSecondsFromPrevious, open];
                if (timesInCsv)
                    row = [.. row, s.TimeToConvert?.P50, s.TimeToConvert?.P90,
                        .. s.TimeToConvert?.Histogram.Select(b => (object?)b.Users) ?? FunnelMatcher.HistogramEdges.Append(0).Select(_ => (object?)null)];
                csv.Row(row);
            }
        }
        Rows(AllLabel, result.Steps, result.OpenWindowUsers);
        foreach (var g in result.Breakdown ?? []) Rows(g.Value, g.Steps, g.OpenWindowUsers);
        if (result.Trend is { } trend)
        {
            csv.Row().Row("week", "started", "converted", "rate");
            foreach (var w in trend) csv.Row(w.Week, w.Started, w.Converted, w.Rate);
        }
        return csv.ToResult();
    }

    private static async Task<IResult> FeaturesAsync(string? from, string? to, string? format,
        FeatureEngagementQuery query, CancellationToken ct)
    {
        var range = P.Range(from, to);
        var output = P.Format(format);
        var result = await query.RunAsync(range.From, range.To, ct);
        if (output == InsightsFormat.Json) return Results.Ok(result);
        var csv = new Csv().Row("featureName", "events", "users", "activeUsers", "adoption", "unused");
        foreach (var f in result.Features) csv.Row(f.FeatureName, f.Events, f.Users, result.ActiveUsers, f.Adoption, f.Unused);
        return csv.ToResult();
    }

    private static async Task<IResult> TrendsAsync(string? @event, string? where, string? measure, string? interval, string? from, string? to,
        string? breakdown, string? compare, string? cohort, string? format, TrendsQuery query, CancellationToken ct)
    {
        var request = TrendsRequest.Parse(@event, where, measure, interval, from, to, breakdown, compare) with { Cohort = CohortFilter.Parse(cohort) };
        var output = P.Format(format);
        var result = await query.RunAsync(request, ct);
        if (output == InsightsFormat.Json) return Results.Ok(result);
        var csv = new Csv().Row("period", "breakdown", "start", "value");
        foreach (var (period, list) in new[] { ("current", result.Series), ("previous", result.Previous ?? []) })
            foreach (var s in list)
                foreach (var p in s.Points) csv.Row(period, s.Breakdown ?? AllLabel, p.Start, p.Value);
        return csv.ToResult();
    }

    private static async Task<IResult> RetentionAsync(string? from, string? to, string? breakdown, string? format,
        RetentionQuery query, CancellationToken ct)
    {
        var range = P.Range(from, to);
        var by = Breakdown.Parse(breakdown, BreakdownSource.UserTrait);
        var output = P.Format(format);
        var result = await query.RunAsync(range.From, range.To, by, ct);
        if (output == InsightsFormat.Json) return Results.Ok(result);
        var weeks = result.Cohorts.Select(c => c.Retention.Count).DefaultIfEmpty(0).Max();
        object?[] header = result.Breakdown is null ? [] : ["breakdown"];
        var csv = new Csv().Row([.. header, "week", "users", .. Enumerable.Range(0, weeks).Select(n => (object?)$"week{n}")]);
        void Rows(object?[] label, IReadOnlyList<RetentionCohort> cohorts)
        {
            foreach (var c in cohorts)
                csv.Row([.. label, c.Week, c.Users, .. c.Retention.Select(r => (object?)r)]);
        }
        Rows(result.Breakdown is null ? [] : [AllLabel], result.Cohorts);
        foreach (var g in result.Breakdown ?? []) Rows([g.Value], g.Cohorts);
        return csv.ToResult();
    }
}
