using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Dashboard.Flags;

namespace Dashboard.Bench;

/// <summary>
/// Flag evaluation throughput. In process: the bare murmur3 hash of "{flag}:{user}" against the
/// whole evaluator (one targeting rule that does not match, a 10 % rollout, two variants). Over
/// HTTP: the Release server in its own process with 50 flags, 64 connections in a closed loop
/// against OFREP single and bulk evaluation, and <c>/healthz</c> as the baseline of the same pipeline.
/// </summary>
public static class FlagBenchmark
{
    private const string WriteKey = "wk_benchmark_key", ClientKey = "ck_benchmark_key", AdminKey = "ak_benchmark_key";
    private const int Flags = 50;

    public static async Task RunAsync(BenchOptions o)
    {
        Console.WriteLine($"# Flag benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, " +
                          $"{GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB");
        Console.WriteLine();
        InProcess();

        var work = Path.Combine(Path.GetTempPath(), $"dashboard-flag-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(work);
        try
        {
            var env = new Dictionary<string, string>
            {
                ["Auth__ApiKeys__1__Key"] = ClientKey, ["Auth__ApiKeys__1__Role"] = "client",
                ["Auth__ApiKeys__2__Key"] = AdminKey, ["Auth__ApiKeys__2__Role"] = "admin",
                // The benchmark measures evaluation, not the per-key limit: lift it for its one key.
                ["RateLimits__FlagsPerSecond"] = "10000000",
            };
            await using var server = await ServerProcess.StartAsync(Path.Combine(work, "flags.db"), WriteKey, env);
            await CreateFlagsAsync(server.BaseAddress);
            // Let the periodic reload and the trait cache settle.
            await Task.Delay(1500);

            var results = new List<(string Name, Result R)>
            {
                ("GET /healthz (baseline)", await LoadAsync(server.BaseAddress, o, (c, n) => new HttpRequestMessage(HttpMethod.Get, "/healthz"))),
                ("OFREP single flag", await LoadAsync(server.BaseAddress, o, (c, n) => Post($"/ofrep/v1/evaluate/flags/flag_{n % Flags:D2}", User(c, n)))),
                ("OFREP bulk, 50 flags", await LoadAsync(server.BaseAddress, o, (c, n) => Post("/ofrep/v1/evaluate/flags", User(c, n)))),
            };
            var peak = server.PeakMemoryBytes();
            Console.WriteLine();
            Console.WriteLine($"| HTTP, {o.Connections} connections, {o.Seconds} s | requests/s | flag evaluations/s | p50 ms | p99 ms | errors | ÷ /healthz |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
            var baseline = results[0].R.RequestsPerSecond;
            foreach (var (name, r) in results)
            {
                var perRequest = name.Contains("bulk") ? Flags : name.Contains("single") ? 1 : 0;
                Console.WriteLine($"| {name} | {r.RequestsPerSecond:N0} | {(perRequest == 0 ? "–" : (r.RequestsPerSecond * perRequest).ToString("N0"))} | " +
                                  $"{r.P50Ms:F1} | {r.P99Ms:F1} | {r.Errors} | {r.RequestsPerSecond / baseline:P0} |");
            }
            Console.WriteLine($"Server peak RSS: {peak / 1048576.0:N0} MB");
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    private static byte[] User(int connection, long n) =>
        Encoding.UTF8.GetBytes($$$"""{"context":{"targetingKey":"user-{{{(n * 7919 + connection) % 200_000}}}","plan":"free"}}""");

    private static HttpRequestMessage Post(string path, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
    }

    private static void InProcess()
    {
        const int users = 1_000_000;
        var ids = Enumerable.Range(0, users).Select(i => $"user-{i:D7}").ToArray();
        var bytes = ids.Select(id => Encoding.UTF8.GetBytes("checkout_v2:" + id)).ToArray();
        var flag = new CompiledFlag(new FlagState("checkout_v2", "", "", true, 10,
            [new FlagRule("cohort", "equals", ["beta"])], [new FlagVariant("control", 50), new FlagVariant("treatment", 50)]));

        double Rate(Func<int, int> body)
        {
            var sink = 0;
            for (var i = 0; i < users; i++) sink += body(i); // warm-up
            var sw = Stopwatch.StartNew();
            long n = 0;
            while (sw.Elapsed < TimeSpan.FromSeconds(3))
            {
                for (var i = 0; i < users; i++) sink += body(i);
                n += users;
            }
            GC.KeepAlive(sink);
            return n / sw.Elapsed.TotalSeconds;
        }

        var hash = Rate(i => (int)(Murmur3.Hash32(bytes[i], 0) % 10_000));
        var evaluate = Rate(i => FlagEvaluator.Evaluate(flag, new EvaluationContext(ids[i])).On ? 1 : 0);
        var attributes = new Dictionary<string, string> { ["cohort"] = "general", ["plan"] = "free" };
        var withContext = Rate(i => FlagEvaluator.Evaluate(flag, new EvaluationContext(ids[i], attributes)).On ? 1 : 0);
        Console.WriteLine($"| In process, one thread, 1,000,000 users | per second | ÷ bare hash |");
        Console.WriteLine("|---|---:|---:|");
        Console.WriteLine($"| bare murmur3 of the UTF-8 bytes, mod 10000 | {hash:N0} | 100 % |");
        Console.WriteLine($"| evaluate (rule not matched: no attributes; 10 % rollout; 2 variants) | {evaluate:N0} | {evaluate / hash:P0} |");
        Console.WriteLine($"| evaluate with a 2-attribute context (rule checked, not matched) | {withContext:N0} | {withContext / hash:P0} |");
    }

    private static async Task CreateFlagsAsync(Uri baseAddress)
    {
        using var client = new HttpClient { BaseAddress = baseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        for (var i = 0; i < Flags; i++)
        {
            var variants = i % 5 == 0 ? """[{"key":"control","weight":50},{"key":"treatment","weight":50}]""" : "[]";
            var body = $$"""
                { "description": "benchmark flag {{i}}", "owner": "bench", "enabled": {{(i % 10 == 9 ? "false" : "true")}}, "rolloutPercent": {{i * 2}},
                  "rules": [ { "attribute": "cohort", "operator": "equals", "values": ["beta"], "value": true } ], "variants": {{variants}} }
                """;
            using var response = await client.PutAsync($"/api/flags/flag_{i:D2}", new StringContent(body, Encoding.UTF8, "application/json"));
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"creating flag_{i:D2}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    private sealed record Result(double RequestsPerSecond, double P50Ms, double P99Ms, long Errors);

    private static async Task<Result> LoadAsync(Uri baseAddress, BenchOptions o, Func<int, long, HttpRequestMessage> request)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = o.Connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ClientKey);
        await RunAsync(client, o.Connections, TimeSpan.FromSeconds(2), request); // warm-up
        return await RunAsync(client, o.Connections, TimeSpan.FromSeconds(o.Seconds), request);
    }

    private static async Task<Result> RunAsync(HttpClient client, int connections, TimeSpan duration, Func<int, long, HttpRequestMessage> request)
    {
        var r = await LoadGenerator.ClosedLoopAsync(client, connections, duration, request);
        return new Result(r.RequestsPerSecond, r.P50Ms, r.P99Ms, r.Errors);
    }
}
