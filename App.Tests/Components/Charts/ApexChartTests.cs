using System.Text.Json;
using Bunit;
using Dashboard.Components.Charts;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;

namespace Dashboard.Tests.Components.Charts;

public sealed class ApexChartTests : IAsyncLifetime
{
    private readonly BunitContext _context = new();

    public Task InitializeAsync()
    {
        _context.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _context.DisposeAsync();

    private static IReadOnlyList<ChartSeries> Series(params double?[] values) => [new ChartSeries("Users", values)];

    private BunitJSModuleInterop Module()
    {
        var module = _context.JSInterop.SetupModule("./Components/Charts/ApexChart.razor.js");
        module.SetupVoid("draw", _ => true).SetVoidResult();
        module.SetupVoid("destroy", _ => true).SetVoidResult();
        return module;
    }

    private static JsonElement Spec(JSRuntimeInvocation draw) => JsonSerializer.SerializeToElement(draw.Arguments[1]);

    [Fact]
    public void Render_FirstRender_ImportsTheModuleAndDrawsTheDescription()
    {
        var module = Module();

        _context.Render<ApexChart>(p => p
            .Add(c => c.Kind, ChartKind.Line)
            .Add(c => c.Series, Series(1, null, 3))
            .Add(c => c.Categories, ["Mon", "Tue", "Wed"])
            .Add(c => c.Format, ChartFormat.Percent));

        var draw = Assert.Single(module.Invocations["draw"]);
        var spec = Spec(draw);
        Assert.Equal("line", spec.GetProperty("kind").GetString());
        Assert.Equal("percent", spec.GetProperty("format").GetString());
        Assert.Equal("[1,null,3]", spec.GetProperty("series")[0].GetProperty("data").GetRawText());
        Assert.Equal(3, spec.GetProperty("categories").GetArrayLength());
        Assert.False(spec.GetProperty("dark").GetBoolean());
    }

    [Fact]
    public void Render_SameData_DrawsOnceAndNewDataRedraws()
    {
        var module = Module();
        var cut = _context.Render<ApexChart>(p => p.Add(c => c.Kind, ChartKind.Bar).Add(c => c.Series, Series(1, 2)));

        cut.Render(p => p.Add(c => c.Series, Series(1, 2)));
        Assert.Single(module.Invocations["draw"]);

        cut.Render(p => p.Add(c => c.Series, Series(1, 5)));
        Assert.Equal(2, module.Invocations["draw"].Count);
        Assert.Equal("[1,5]", Spec(module.Invocations["draw"][1]).GetProperty("series")[0].GetProperty("data").GetRawText());
    }

    [Fact]
    public void Render_ThemeFlips_RedrawsInTheOtherMode()
    {
        var module = Module();
        var series = Series(4);
        void Layout(ComponentParameterCollectionBuilder<CascadingValue<bool>> p, bool dark) => p
            .Add(c => c.Name, "DarkMode")
            .Add(c => c.Value, dark)
            .AddChildContent<ApexChart>(chart => chart.Add(c => c.Kind, ChartKind.Area).Add(c => c.Series, series));
        var layout = _context.Render<CascadingValue<bool>>(p => Layout(p, false));

        layout.Render(p => Layout(p, true));

        Assert.Equal(2, module.Invocations["draw"].Count);
        Assert.False(Spec(module.Invocations["draw"][0]).GetProperty("dark").GetBoolean());
        Assert.True(Spec(module.Invocations["draw"][1]).GetProperty("dark").GetBoolean());
    }

    [Fact]
    public async Task Dispose_CircuitGone_DoesNotThrow()
    {
        var module = _context.JSInterop.SetupModule("./Components/Charts/ApexChart.razor.js");
        module.SetupVoid("draw", _ => true).SetVoidResult();
        module.SetupVoid("destroy", _ => true).SetException(new JSDisconnectedException("gone"));
        var cut = _context.Render<ApexChart>(p => p.Add(c => c.Kind, ChartKind.Sparkline).Add(c => c.Series, Series(1)));

        await cut.Instance.DisposeAsync();

        Assert.Single(module.Invocations["destroy"]);
    }

    [Fact]
    public void Render_Markers_AreInTheDescription()
    {
        var module = Module();

        _context.Render<ApexChart>(p => p
            .Add(c => c.Kind, ChartKind.Line)
            .Add(c => c.Series, Series(1, 2, 3))
            .Add(c => c.Categories, ["Nov 2", "Nov 3", "Nov 4"])
            .Add(c => c.Markers, [new ChartMarker(1, "v2.3 released", "2026-11-03 14:30 UTC · note · v2.3 released · by alice")]));

        var marker = Assert.Single(Spec(Assert.Single(module.Invocations["draw"])).GetProperty("markers").EnumerateArray());
        Assert.Equal(1, marker.GetProperty("index").GetInt32());
        Assert.Equal("v2.3 released", marker.GetProperty("label").GetString());
        Assert.Contains("by alice", marker.GetProperty("tooltip").GetString());
    }
}
