using Dashboard.Analytics;

namespace Dashboard.Tests.Analytics;

public sealed class CsvTests
{
    [Theory]
    [InlineData("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"")]
    [InlineData("+1+2", "\"'+1+2\"")]
    [InlineData("-2+3", "\"'-2+3\"")]
    [InlineData("@SUM(A1)", "\"'@SUM(A1)\"")]
    [InlineData("\tcmd", "\"'\tcmd\"")]
    [InlineData("\rcmd", "\"'\rcmd\"")]
    public void Row_TextThatASpreadsheetReadsAsAFormula_IsPrefixedAndQuoted(string text, string expected)
    {
        Assert.Equal(expected + "\r\n", new Csv().Row(text).ToString());
    }

    [Theory]
    [InlineData("search", "search")]
    [InlineData("a=b", "a=b")]
    [InlineData("", "")]
    [InlineData("say \"hi\", then", "\"say \"\"hi\"\", then\"")]
    [InlineData("'quoted", "\"'quoted\"")]
    public void Row_OrdinaryText_KeepsItsValue(string text, string expected)
    {
        Assert.Equal(expected + "\r\n", new Csv().Row(text).ToString());
    }

    [Fact]
    public void Row_Numbers_AreNotNeutralised()
    {
        var csv = new Csv().Row(-0.25, -3, 1.5, null, true, new DateOnly(2026, 3, 1)).ToString();

        Assert.Equal("-0.25,-3,1.5,,true,2026-03-01\r\n", csv);
    }
}
