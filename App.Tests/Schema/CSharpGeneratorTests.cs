using Dashboard.Data;
using Dashboard.Schema;

namespace Dashboard.Tests.Schema;

public sealed class CSharpGeneratorTests
{
    [Fact]
    public void Generate_RequiredEnumProperty_IsARequiredInitPropertyOfAGeneratedEnum()
    {
        var cs = Lf(CSharpGenerator.Generate([Definition("USER_REGISTERED",
            new PropertyDefinition { Name = "referralSource", Type = PropertyType.String, Required = true, Description = "Where from." },
            new PropertyDefinition { Name = "planType", Type = PropertyType.Enum, EnumValues = ["free", "premium"], Required = true })]));

        Assert.Contains("namespace Dashboard.Telemetry;\n", cs);
        Assert.Contains("public sealed record UserRegisteredEvent : global::Dashboard.Client.ITelemetryEvent\n", cs);
        Assert.Contains("    public const string EventName = \"USER_REGISTERED\";\n", cs);
        Assert.Contains("    /// <summary>Where from.</summary>\n    public required string ReferralSource { get; init; }\n", cs);
        Assert.Contains("    public required UserRegisteredEventPlanType PlanType { get; init; }\n", cs);
        Assert.Contains("            properties[\"planType\"] = Text(this.PlanType);\n", cs);
        Assert.Contains("        UserRegisteredEventPlanType.Premium => \"premium\",\n", cs);
        Assert.Contains("public enum UserRegisteredEventPlanType\n{\n    /// <summary>free</summary>\n    Free,\n", cs);
    }

    [Fact]
    public void Generate_OptionalProperties_AreNullableAndLeftOutWhenNull()
    {
        var cs = Lf(CSharpGenerator.Generate([Definition("APP_OPENED",
            new PropertyDefinition { Name = "build", Type = PropertyType.Number, Required = false },
            new PropertyDefinition { Name = "beta", Type = PropertyType.Boolean, Required = false })]));

        Assert.Contains("    public double? Build { get; init; }\n", cs);
        Assert.Contains("    public bool? Beta { get; init; }\n", cs);
        Assert.Contains("            if (this.Build is { } vBuild) properties[\"build\"] = vBuild;\n", cs);
    }

    [Fact]
    public void Generate_ClashingNames_GetNumberedIdentifiers()
    {
        var cs = Lf(CSharpGenerator.Generate([
            Definition("a.b"), Definition("a-b",
                new PropertyDefinition { Name = "eventName", Type = PropertyType.String, Required = true },
                new PropertyDefinition { Name = "mood", Type = PropertyType.Enum, EnumValues = ["ok", "OK", "2 good", ""], Required = true })]));

        Assert.Contains("public sealed record ABEvent : ", cs);
        Assert.Contains("public sealed record AB2Event : ", cs); // numbered as in telemetry.ts
        Assert.Contains("    public required string EventName2 { get; init; }\n", cs);
        Assert.Contains("    Ok,\n", cs);
        Assert.Contains("    OK,\n", cs);
        Assert.Contains("    P2Good,\n", cs);
        Assert.Contains("    Value,\n", cs);
    }

    [Fact]
    public void Generate_QuotesAndControlCharacters_AreEscaped()
    {
        var def = Definition("LINE\nBREAK", new PropertyDefinition
        {
            Name = "mood",
            Type = PropertyType.Enum,
            Required = true,
            Description = "a <b>bold</b> & \u2028 line",
            EnumValues = ["say \"hi\"", "back\\slash"],
        });

        var cs = Lf(CSharpGenerator.Generate([def]));

        Assert.Contains("    public const string EventName = \"LINE\\u000aBREAK\";\n", cs);
        Assert.Contains("    /// <summary>a &lt;b&gt;bold&lt;/b&gt; &amp;   line</summary>\n", cs);
        Assert.Contains(" => \"say \\\"hi\\\"\",\n", cs);
        Assert.Contains(" => \"back\\\\slash\",\n", cs);
        Assert.DoesNotContain(cs, c => char.IsControl(c) && c != '\n');
    }

    private static EventDefinition Definition(string name, params PropertyDefinition[] properties) =>
        new() { Name = name, Properties = [.. properties] };

    private static string Lf(string s) => s.ReplaceLineEndings("\n");
}
