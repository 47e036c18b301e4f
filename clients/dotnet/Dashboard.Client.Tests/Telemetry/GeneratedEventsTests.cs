using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Dashboard.Client.Tests.TestSupport;
using Dashboard.Tests.TestSupport;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Dashboard.Client.Tests.Telemetry;

/// <summary>The C# the server serves at /api/schema/telemetry.cs, compiled with Roslyn against the client library.</summary>
public sealed class GeneratedEventsTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Compile_KnownEventWithItsProperties_Builds()
    {
        var diagnostics = Compile(await ServedAsync(), """
            ITelemetry telemetry = null!;
            telemetry.Track(new UserRegisteredEvent { ReferralSource = "newsletter", PlanType = UserRegisteredEventPlanType.Premium }, "u-1");
            telemetry.Track(new AppOpenedEvent(), "u-1");
            """);

        Assert.Empty(diagnostics);
    }

    [Fact]
    public async Task Compile_UnknownEvent_FailsWithTypeNotFound()
    {
        var diagnostics = Compile(await ServedAsync(), """
            ITelemetry telemetry = null!;
            telemetry.Track(new UserDeletedEvent { Reason = "gone" }, "u-1");
            """);

        Assert.Contains(diagnostics, d => d.Id == "CS0246" && d.GetMessage().Contains("UserDeletedEvent"));
    }

    [Fact]
    public async Task Compile_WrongPropertyType_Fails()
    {
        var diagnostics = Compile(await ServedAsync(), """
            var e = new UserRegisteredEvent { ReferralSource = 42, PlanType = "gold" };
            """);

        Assert.Contains(diagnostics, d => d.Id == "CS0029" && d.GetMessage().Contains("int"));
        Assert.Contains(diagnostics, d => d.Id == "CS0029" && d.GetMessage().Contains("UserRegisteredEventPlanType"));
    }

    [Fact]
    public async Task Compile_MissingRequiredProperty_Fails()
    {
        var diagnostics = Compile(await ServedAsync(), """
            var e = new ProjectCreatedEvent { ProjectId = "p-1" };
            """);

        Assert.Contains(diagnostics, d => d.Id == "CS9035" && d.GetMessage().Contains("TemplateUsed"));
    }

    [Fact]
    public async Task SavedFile_IsWhatTheServerServesForTheSeededTaxonomy()
    {
        var saved = await File.ReadAllTextAsync(Path.Combine(ProjectDirectory(), "Generated", "telemetry.cs"));

        Assert.Equal(await ServedAsync(), saved.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Properties_OfAGeneratedRecord_UseTheTaxonomyNamesAndEnumStrings()
    {
        ITelemetryEvent e = new Dashboard.Telemetry.UserRegisteredEvent { ReferralSource = "ads", PlanType = Dashboard.Telemetry.UserRegisteredEventPlanType.Free };
        ITelemetryEvent opened = new Dashboard.Telemetry.AppOpenedEvent();

        Assert.Equal("USER_REGISTERED", e.Event);
        Assert.Equal(new Dictionary<string, object?> { ["referralSource"] = "ads", ["planType"] = "free" }, e.Properties);
        Assert.Empty(opened.Properties);
    }

    [Fact]
    public async Task Compile_ReadmeQuickstart_Builds()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(ProjectDirectory(), "..", "..", "..", "README.md"));
        var section = readme[readme.IndexOf("## ASP.NET Core client", StringComparison.Ordinal)..];
        var start = section.IndexOf("```csharp\n", StringComparison.Ordinal) + "```csharp\n".Length;
        var quickstart = section[start..section.IndexOf("```", start, StringComparison.Ordinal)];

        // The global usings of the Web SDK's implicit usings.
        const string webSdkUsings = """
            global using System; global using System.Collections.Generic; global using System.Linq; global using System.Threading.Tasks;
            global using Microsoft.AspNetCore.Builder; global using Microsoft.AspNetCore.Http; global using Microsoft.Extensions.DependencyInjection;
            """;
        var diagnostics = Compile(OutputKind.ConsoleApplication, await ServedAsync(), webSdkUsings, quickstart);

        Assert.Empty(diagnostics);
    }

    private static string ProjectDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(Path.GetDirectoryName(path))!;

    private async Task<string> ServedAsync()
    {
        using var http = new HttpClient { BaseAddress = server.Address };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", DashboardFactory.ReadKey);
        return (await http.GetStringAsync("/api/schema/telemetry.cs")).ReplaceLineEndings("\n");
    }

    /// <summary>The errors of compiling the generated file with a snippet of app code.</summary>
    private static ImmutableArray<Diagnostic> Compile(string generated, string snippet)
    {
        var app = $$"""
            using Dashboard.Client;
            using Dashboard.Telemetry;

            public static class AppCode
            {
                public static void Run()
                {
                    {{snippet}}
                }
            }
            """;
        return Compile(OutputKind.DynamicallyLinkedLibrary, generated, app);
    }

    private static ImmutableArray<Diagnostic> Compile(OutputKind kind, params string[] sources)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Append(typeof(ITelemetryEvent).Assembly.Location)
            .Where(path => path != typeof(GeneratedEventsTests).Assembly.Location) // it holds a saved copy of the same types
            .Distinct()
            .Select(path => MetadataReference.CreateFromFile(path));
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create("App",
            sources.Select((source, i) => CSharpSyntaxTree.ParseText(source, parse, $"File{i}.cs")),
            references,
            new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable));
        return [.. compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error)];
    }
}
