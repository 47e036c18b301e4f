using Dashboard.Data;
using Dashboard.Schema;
using Microsoft.Extensions.Configuration;

namespace Dashboard.Tests.Schema;

public sealed class TypeScriptGeneratorTests
{
    private static readonly string[] BlueprintEvents = ["USER_REGISTERED", "PROJECT_CREATED", "FEATURE_ENGAGED"];

    [Fact]
    public void Generate_SeededBlueprintEvents_IsTheTelemetryEventUnion()
    {
        var seed = new SeedData(new ConfigurationBuilder().Build());
        var blueprint = seed.Taxonomy(0).Where(d => BlueprintEvents.Contains(d.Name)).ToList();
        Assert.Equal(3, blueprint.Count);

        var ts = TypeScriptGenerator.Generate(blueprint);

        const string expected = """
            // Generated from the event taxonomy. Do not edit by hand.

            /** A user used a feature. */
            export interface FeatureEngagedEvent {
              event: 'FEATURE_ENGAGED';
              properties: {
                /** The feature, as named in the feature engagement report. */
                featureName: string;
                /** The control that was used. */
                clickTarget: string;
              };
              timestamp?: string;
            }

            /** A user created a project: the activation moment. */
            export interface ProjectCreatedEvent {
              event: 'PROJECT_CREATED';
              properties: {
                /** The new project's id. */
                projectId: string;
                /** The template the project started from, or 'blank'. */
                templateUsed: string;
              };
              timestamp?: string;
            }

            /** A user finished sign-up. */
            export interface UserRegisteredEvent {
              event: 'USER_REGISTERED';
              properties: {
                /** Where the user came from (utm source, partner, organic). */
                referralSource: string;
                /** The plan chosen at sign-up. */
                planType: 'free' | 'premium';
              };
              timestamp?: string;
            }

            export type TelemetryEvent =
              | FeatureEngagedEvent
              | ProjectCreatedEvent
              | UserRegisteredEvent;

            export type TelemetryEventName = TelemetryEvent['event'];

            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), ts.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Generate_OptionalProperty_HasQuestionMark()
    {
        var ts = TypeScriptGenerator.Generate([Definition("APP_OPENED",
            new PropertyDefinition { Name = "platform", Type = PropertyType.Enum, EnumValues = ["web", "ios"], Required = false },
            new PropertyDefinition { Name = "build", Type = PropertyType.Number, Required = true },
            new PropertyDefinition { Name = "beta", Type = PropertyType.Boolean, Required = false })]);

        Assert.Contains("    platform?: 'web' | 'ios';\n", Lf(ts));
        Assert.Contains("    build: number;\n", Lf(ts));
        Assert.Contains("    beta?: boolean;\n", Lf(ts));
    }

    [Theory]
    [InlineData("first-name", "'first-name'")]
    [InlineData("2fa", "'2fa'")]
    [InlineData("has space", "'has space'")]
    [InlineData("it's", "'it\\'s'")]
    [InlineData("back\\slash", "'back\\\\slash'")]
    [InlineData("$ref", "$ref")]
    [InlineData("_private", "_private")]
    [InlineData("camelCase2", "camelCase2")]
    public void Generate_PropertyName_IsQuotedOnlyWhenNotAnIdentifier(string name, string expected)
    {
        var ts = TypeScriptGenerator.Generate([Definition("ODD", new PropertyDefinition { Name = name, Type = PropertyType.String, Required = true })]);

        Assert.Contains($"    {expected}: string;\n", Lf(ts));
    }

    [Fact]
    public void Generate_EnumValuesAndDescriptions_AreEscaped()
    {
        var def = Definition("QUOTES", new PropertyDefinition
        {
            Name = "mood",
            Type = PropertyType.Enum,
            Required = true,
            Description = "ends a comment */ early\nand spans lines",
            EnumValues = ["it's", "fine"],
        });
        def.Description = "An event's */ description";

        var ts = Lf(TypeScriptGenerator.Generate([def]));

        Assert.Contains("/** An event's * / description */\n", ts);
        Assert.Contains("    /** ends a comment * / early and spans lines */\n", ts);
        Assert.Contains("    mood: 'it\\'s' | 'fine';\n", ts);
    }

    [Fact]
    public void Generate_ControlCharactersInNamesAndValues_AreEscapedSoEveryStringStaysOnItsLine()
    {
        var def = Definition("LINE\nBREAK", new PropertyDefinition
        {
            Name = "tab\there",
            Type = PropertyType.Enum,
            Required = true,
            Description = "a bell \u0007 and a\u2028separator",
            EnumValues = ["cr\rlf\n", "nul\0", "sep\u2028arator"],
        });

        var ts = Lf(TypeScriptGenerator.Generate([def]));

        Assert.Contains("  event: 'LINE\\u000aBREAK';\n", ts);
        Assert.Contains("    'tab\\u0009here': 'cr\\u000dlf\\u000a' | 'nul\\u0000' | 'sep\\u2028arator';\n", ts);
        Assert.Contains("    /** a bell   and a separator */\n", ts);
        Assert.DoesNotContain(ts, c => char.IsControl(c) && c != '\n');
        Assert.DoesNotContain('\u2028', ts);
    }

    [Fact]
    public void Generate_EventNamesWithPunctuation_BecomePascalCaseInterfaces()
    {
        var ts = Lf(TypeScriptGenerator.Generate([Definition("checkout.completed"), Definition("3d-view")]));

        Assert.Contains("export interface CheckoutCompletedEvent {\n  event: 'checkout.completed';\n", ts);
        Assert.Contains("export interface E3dViewEvent {\n  event: '3d-view';\n", ts);
        Assert.Contains("export type TelemetryEvent =\n  | E3dViewEvent\n  | CheckoutCompletedEvent;\n", ts);
    }

    [Fact]
    public void Generate_EventNamesMakingTheSamePascalCase_GetNumberedTypeNames()
    {
        var ts = Lf(TypeScriptGenerator.Generate([
            Definition("user_registered"), Definition("USER-REGISTERED"), Definition("User.Registered"), Definition("user_registered2")]));

        // Ordinal order: USER-REGISTERED, User.Registered, user_registered, user_registered2.
        Assert.Contains("export interface UserRegisteredEvent {\n  event: 'USER-REGISTERED';\n", ts);
        Assert.Contains("export interface UserRegistered2Event {\n  event: 'User.Registered';\n", ts);
        Assert.Contains("export interface UserRegistered3Event {\n  event: 'user_registered';\n", ts);
        Assert.Contains("export interface UserRegistered22Event {\n  event: 'user_registered2';\n", ts);
        Assert.Contains("export type TelemetryEvent =\n  | UserRegisteredEvent\n  | UserRegistered2Event\n  | UserRegistered3Event\n  | UserRegistered22Event;\n", ts);
    }

    [Fact]
    public void Generate_EnumWithoutValues_IsNever()
    {
        var ts = TypeScriptGenerator.Generate([Definition("E", new PropertyDefinition { Name = "kind", Type = PropertyType.Enum, Required = true })]);

        Assert.Contains("    kind: never;\n", Lf(ts));
    }

    [Fact]
    public void Generate_EmptyTaxonomy_IsNever()
    {
        var ts = Lf(TypeScriptGenerator.Generate([]));

        Assert.Contains("export type TelemetryEvent = never;\n", ts);
        Assert.DoesNotContain("interface", ts);
    }

    private static EventDefinition Definition(string name, params PropertyDefinition[] properties) =>
        new() { Name = name, Properties = [.. properties] };

    private static string Lf(string s) => s.ReplaceLineEndings("\n");
}
