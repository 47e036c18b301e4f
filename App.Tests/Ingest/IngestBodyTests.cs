using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dashboard.Ingest;
using Microsoft.AspNetCore.Http;
using static Dashboard.Tests.Ingest.IngestTestKit;

namespace Dashboard.Tests.Ingest;

/// <summary>The bodies the ingest paths take: JSON as application/json or text/plain, plain or gzip, bounded after inflating.</summary>
public sealed class IngestBodyTests(IngestEndpointsFixture fixture) : IClassFixture<IngestEndpointsFixture>
{
    private const int MaxBodyBytes = 500 * 1024;

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    private static ByteArrayContent Body(byte[] bytes, string contentType = "application/json", string? encoding = null)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType) { CharSet = "utf-8" };
        if (encoding is not null) content.Headers.ContentEncoding.Add(encoding);
        return content;
    }

    private async Task<(HttpStatusCode Status, string Text)> PostAsync(HttpContent content, string path = "/v1/batch")
    {
        using var client = fixture.Factory.CreateIngestClient();
        using var response = await client.PostAsync(path, content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Error(string text) => JsonDocument.Parse(text).RootElement.GetProperty("error").GetString()!;

    [Fact]
    public async Task Post_TextPlainHoldingJson_IsAccepted()
    {
        var id = NewId("text-plain");

        var (status, text) = await PostAsync(Body(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(Feature(id))), "text/plain"), "/v1/t");

        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal("FEATURE_ENGAGED", fixture.Factory.SingleEvent(id).Name);
    }

    [Fact]
    public async Task Post_GzipBody_IsInflatedAndAccepted()
    {
        var ids = Enumerable.Range(0, 3).Select(_ => NewId("gzip")).ToArray();
        var json = JsonSerializer.Serialize(new { batch = ids.Select(id => Feature(id)) });

        var (status, text) = await PostAsync(Body(Gzip(Encoding.UTF8.GetBytes(json)), "text/plain", "gzip"));

        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal(3, JsonDocument.Parse(text).RootElement.GetProperty("accepted").GetInt32());
        Assert.All(ids, id => fixture.Factory.SingleEvent(id));
    }

    [Fact]
    public async Task Post_GzipBodyOverTheLimitOnceInflated_Returns413()
    {
        // Well under the limit on the wire, over it once inflated: the limit is for the JSON.
        var json = $$"""{ "batch": [ { "event": "FEATURE_ENGAGED", "userId": "inflated", "properties": { "featureName": "{{new string('x', MaxBodyBytes)}}" } } ] }""";
        var compressed = Gzip(Encoding.UTF8.GetBytes(json));
        Assert.True(compressed.Length < 10 * 1024);

        var (status, text) = await PostAsync(Body(compressed, encoding: "gzip"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("after gzip is inflated", Error(text));
    }

    [Fact]
    public async Task Post_GzipBomb_Returns413Quickly()
    {
        var bomb = Gzip(new byte[50 * 1024 * 1024]);
        Assert.True(bomb.Length < 100 * 1024, $"the bomb is {bomb.Length} bytes");
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var (status, _) = await PostAsync(Body(bomb, encoding: "gzip"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task ReadAsync_GzipBomb_InflatesNoMoreThanTheLimit()
    {
        var bomb = Gzip(new byte[50 * 1024 * 1024]);
        var http = new DefaultHttpContext();
        http.Request.Headers.ContentEncoding = "gzip";
        http.Request.Body = new MemoryStream(bomb);
        http.Request.ContentLength = bomb.Length;

        // A MemoryStream body completes every read at once, so the whole call runs on this thread.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var (body, error) = await IngestBody.ReadAsync(http, MaxBodyBytes);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Null(body);
        Assert.NotNull(error);
        Assert.True(allocated < 8 * 1024 * 1024, $"allocated {allocated} bytes for a 50 MB bomb");
    }

    [Theory]
    [InlineData("not gzip")]
    [InlineData("bad header")]
    public async Task Post_CorruptGzip_Returns400(string kind)
    {
        var valid = Gzip(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(Feature(NewId("corrupt")))));
        var bytes = kind == "not gzip" ? Encoding.UTF8.GetBytes("this is not gzip at all") : [.. valid[..3], 0xFF, .. valid[4..]];

        var (status, text) = await PostAsync(Body(bytes, encoding: "gzip"));

        Assert.True(status == HttpStatusCode.BadRequest, text);
        Assert.Contains("not valid gzip", Error(text));
    }

    [Fact]
    public async Task Post_TruncatedGzip_Returns400()
    {
        var id = NewId("truncated");
        var valid = Gzip(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(Feature(id))));

        var (status, text) = await PostAsync(Body(valid[..(valid.Length / 2)], encoding: "gzip"));

        Assert.True(status == HttpStatusCode.BadRequest, text);
        Assert.Empty(fixture.Factory.EventsByMessageId(id));
    }

    [Theory]
    [InlineData("br")]
    [InlineData("deflate")]
    [InlineData("gzip, gzip")]
    public async Task Post_UnknownContentEncoding_Returns415(string encoding)
    {
        var content = Body(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(Feature(NewId("encoding")))));
        content.Headers.TryAddWithoutValidation("Content-Encoding", encoding);

        var (status, text) = await PostAsync(content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Contains("Content-Encoding", Error(text));
    }

    [Fact]
    public async Task Post_GzipBodyWhoseCompressedSizeIsOverTheLimit_Returns413BeforeInflating()
    {
        var random = new byte[MaxBodyBytes + 1024];
        new Random(7).NextBytes(random);
        var compressed = Gzip(random);
        Assert.True(compressed.Length > MaxBodyBytes);

        var (status, _) = await PostAsync(Body(compressed, encoding: "gzip"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
    }
}
