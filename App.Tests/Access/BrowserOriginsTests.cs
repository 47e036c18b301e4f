using Dashboard.Access;

namespace Dashboard.Tests.Access;

public sealed class BrowserOriginsTests
{
    [Theory]
    [InlineData("https://app.example.com", "https://app.example.com")]
    [InlineData("https://App.Example.com/", "https://app.example.com")]
    [InlineData("https://app.example.com:443", "https://app.example.com")]
    [InlineData("http://127.0.0.1:5173", "http://127.0.0.1:5173")]
    [InlineData("http://localhost:80", "http://localhost")]
    public void Normalize_Origin_IsTheFormBrowsersSend(string input, string expected) =>
        Assert.Equal(expected, BrowserOrigins.Normalize(input));

    [Theory]
    [InlineData("app.example.com")]
    [InlineData("https://app.example.com/path")]
    [InlineData("https://app.example.com?x=1")]
    [InlineData("https://user@app.example.com")]
    [InlineData("ftp://app.example.com")]
    [InlineData("*")]
    public void Normalize_NotAnOrigin_IsNull(string input) => Assert.Null(BrowserOrigins.Normalize(input));

    [Fact]
    public void Parse_CommasAndSpaces_GivesEachOriginOnce()
    {
        var (origins, error) = BrowserOrigins.Parse("https://a.example.com, https://b.example.com  https://a.example.com/\nhttp://localhost:3000");
        Assert.Null(error);
        Assert.Equal(["https://a.example.com", "https://b.example.com", "http://localhost:3000"], origins);
    }

    [Fact]
    public void Parse_OneBadEntry_NamesIt()
    {
        var (origins, error) = BrowserOrigins.Parse("https://a.example.com, a.example.com/x");
        Assert.Empty(origins);
        Assert.Contains("'a.example.com/x'", error);
    }
}
