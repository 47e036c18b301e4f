using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Dashboard.Tests.Browser;

/// <summary>
/// Chart labels come from ingested data and from the URL; ApexCharts writes some of them with
/// innerHTML (tooltip titles, series names, legends), so markup in a label must show as text.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ChartMarkupTests(BrowserFixture browser)
{
    private const string NoInjectedElement = "() => document.querySelectorAll('.apex-chart img, .apex-chart b, .apex-chart i').length === 0 && window.__xss === undefined";

    [BrowserFact]
    public async Task FeaturesPage_FeatureNamesWithMarkup_ShowTheMarkupAsText()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var image = $"<img src=x onerror=\"window.__xss=1\"> {id}";
        var bold = $"<b>bold</b> <i>{id}</i>";
        using (var ingest = browser.CreateIngestClient())
        {
            var at = DateTimeOffset.UtcNow.AddHours(-1);
            var batch = new[] { image, image, bold }.Select((name, i) => new
            {
                type = "track", @event = "FEATURE_ENGAGED", userId = $"markup-{id}-{i}", timestamp = at,
                properties = new { featureName = name, clickTarget = "button" },
            });
            using var response = await ingest.PostAsJsonAsync("/ingest", new { batch });
            response.EnsureSuccessStatusCode();
            Assert.Contains("\"accepted\":3", await response.Content.ReadAsStringAsync());
        }

        await using var session = await browser.OpenAsync();
        var page = session.Page;
        await session.GotoAsync($"/features?q={id}");
        await session.WaitForInteractiveAsync();
        await Expect(page.Locator("[data-testid=features] tbody tr")).ToHaveCountAsync(2);
        var adoption = page.Locator("[data-testid=chart-adoption]");
        await Expect(adoption.Locator(".apexcharts-bar-area")).ToHaveCountAsync(2);

        // The category axis is SVG text: the names as written.
        await Expect(adoption.Locator(".apexcharts-yaxis-label", new() { HasText = image })).ToHaveCountAsync(1);
        await Expect(adoption.Locator(".apexcharts-yaxis-label", new() { HasText = bold })).ToHaveCountAsync(1);

        // The tooltip title is HTML: hovering each bar shows its name as text.
        var tooltipTitle = adoption.Locator(".apexcharts-tooltip-title");
        foreach (var bar in await adoption.Locator(".apexcharts-bar-area").AllAsync())
        {
            await bar.HoverAsync(new() { Force = true });
            await Expect(adoption.Locator(".apexcharts-tooltip.apexcharts-active")).ToHaveCountAsync(1);
            var title = await tooltipTitle.TextContentAsync();
            Assert.True(title == image || title == bold, $"tooltip title: {title}");
            await page.Mouse.MoveAsync(0, 0);
        }

        // A sparkline's tooltip names its series, the feature.
        var spark = page.Locator("[data-testid=feature-spark]").First;
        await spark.Locator("svg").First.HoverAsync(new() { Force = true });
        await Expect(spark.Locator(".apexcharts-tooltip-text-y-label")).Not.ToBeEmptyAsync();
        var label = await spark.Locator(".apexcharts-tooltip-text-y-label").TextContentAsync();
        Assert.True(label == image + ": " || label == bold + ": ", $"sparkline tooltip label: {label}");

        Assert.True(await page.EvaluateAsync<bool>(NoInjectedElement), "an element from a feature name was created in a chart");
        Assert.Empty(session.Errors);
    }

    [BrowserFact]
    public async Task FunnelsPage_StepFromTheUrlWithMarkup_ShowsTheMarkupAsText()
    {
        const string step = "<img src=x onerror=\"window.__xss=1\">";
        await using var session = await browser.OpenAsync();
        var page = session.Page;
        await session.GotoAsync($"/funnels?steps=USER_REGISTERED,{Uri.EscapeDataString(step)}");
        await session.WaitForInteractiveAsync();
        var chart = page.Locator("[data-testid=chart-funnel]");
        await Expect(chart.Locator(".apexcharts-bar-area").First).ToBeAttachedAsync();
        await Expect(chart.Locator(".apexcharts-xaxis-label", new() { HasText = "2. " + step })).ToHaveCountAsync(1);

        // The shared tooltip of the stacked bars: hover the second step's column (data point j=1).
        await chart.ScrollIntoViewIfNeededAsync();
        await chart.Locator(".apexcharts-bar-area[j='1']").Last.HoverAsync(new() { Force = true });
        await Expect(chart.Locator(".apexcharts-tooltip.apexcharts-active")).ToHaveCountAsync(1);
        await Expect(chart.Locator(".apexcharts-tooltip-title")).ToHaveTextAsync("2. " + step);
        await Expect(chart.Locator(".apexcharts-legend-text", new() { HasText = "Reached" })).ToHaveCountAsync(1);

        Assert.True(await page.EvaluateAsync<bool>(NoInjectedElement), "an element from a step name was created in a chart");
        Assert.Empty(session.Errors);
    }
}
