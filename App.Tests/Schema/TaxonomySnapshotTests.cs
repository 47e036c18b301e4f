using System.Text.Json;
using Dashboard.Data;
using Dashboard.Ingest;
using Dashboard.Schema;

namespace Dashboard.Tests.Schema;

public sealed class TaxonomySnapshotTests
{
    private static readonly TaxonomySnapshot Snapshot = new(
    [
        new EventDefinition
        {
            Name = "USER_REGISTERED",
            Properties =
            [
                new PropertyDefinition { Name = "referralSource", Type = PropertyType.String, Required = true },
                new PropertyDefinition { Name = "planType", Type = PropertyType.Enum, Required = true, EnumValues = ["free", "premium"] },
            ],
        },
        new EventDefinition
        {
            Name = "CHECKOUT",
            Properties =
            [
                new PropertyDefinition { Name = "amount", Type = PropertyType.Number, Required = true },
                new PropertyDefinition { Name = "gift", Type = PropertyType.Boolean, Required = false },
                new PropertyDefinition { Name = "coupon", Type = PropertyType.String, Required = false },
            ],
        },
        new EventDefinition { Name = "PING" },
    ]);

    [Theory]
    [InlineData("USER_REGISTERED", """{"referralSource":"google","planType":"free"}""")]
    [InlineData("USER_REGISTERED", """{"referralSource":"google","planType":"premium","extra":[1,2]}""")]
    [InlineData("CHECKOUT", """{"amount":12.5}""")]
    [InlineData("CHECKOUT", """{"amount":0,"gift":false,"coupon":null}""")]
    [InlineData("PING", """{"anything":"goes"}""")]
    public void Check_ValidEvent_IsNull(string name, string properties)
    {
        Assert.Null(Snapshot.Check(name, Parse(properties)));
    }

    [Fact]
    public void Check_NoProperties_OnlyDefinitionsWithoutRequiredPropertiesPass()
    {
        Assert.Null(Snapshot.Check("PING", null));
        Assert.Equal(RejectionCodes.MissingProperty, Snapshot.Check("CHECKOUT", null)?.Code);
    }

    [Fact]
    public void Check_UnknownName_IsUnknownEvent()
    {
        var violation = Snapshot.Check("user_registered", Parse("{}"));

        Assert.Equal(RejectionCodes.UnknownEvent, violation?.Code);
        Assert.Contains("'user_registered'", violation?.Message);
    }

    [Theory]
    [InlineData("""{"planType":"free"}""", "referralSource")]
    [InlineData("""{"referralSource":null,"planType":"free"}""", "referralSource")]
    [InlineData("""{"referralSource":"google"}""", "planType")]
    public void Check_RequiredPropertyAbsentOrNull_IsMissingProperty(string properties, string property)
    {
        var violation = Snapshot.Check("USER_REGISTERED", Parse(properties));

        Assert.Equal(RejectionCodes.MissingProperty, violation?.Code);
        Assert.Contains($"'{property}'", violation?.Message);
    }

    [Theory]
    [InlineData("USER_REGISTERED", """{"referralSource":42,"planType":"free"}""", "referralSource")]
    [InlineData("USER_REGISTERED", """{"referralSource":"google","planType":true}""", "planType")]
    [InlineData("CHECKOUT", """{"amount":"12.5"}""", "amount")]
    [InlineData("CHECKOUT", """{"amount":1,"gift":"yes"}""", "gift")]
    [InlineData("CHECKOUT", """{"amount":1,"coupon":{"code":"X"}}""", "coupon")]
    public void Check_WrongJsonKind_IsWrongPropertyType(string name, string properties, string property)
    {
        var violation = Snapshot.Check(name, Parse(properties));

        Assert.Equal(RejectionCodes.WrongPropertyType, violation?.Code);
        Assert.Contains($"'{property}'", violation?.Message);
    }

    [Theory]
    [InlineData("gold")]
    [InlineData("Free")]
    [InlineData("")]
    public void Check_ValueOutsideEnum_IsNotInEnum(string plan)
    {
        var violation = Snapshot.Check("USER_REGISTERED", Parse(JsonSerializer.Serialize(new { referralSource = "google", planType = plan })));

        Assert.Equal(RejectionCodes.NotInEnum, violation?.Code);
        Assert.Contains("'free', 'premium'", violation?.Message);
    }

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
