using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Dashboard.Bench;

/// <summary>
/// Ingest throughput with durable acknowledgement. The server runs as a separate process (the
/// Release build of App on a fresh SQLite file, synchronous=FULL) so its peak memory (VmHWM) is
/// its own; this process generates load over loopback. Baselines are measured in the same run.
/// </summary>
public static class IngestBenchmark
{
    private const string Key = "wk_benchmark_key";

    public static async Task RunAsync(BenchOptions o)
    {
        var work = Path.Combine(Path.GetTempPath(), $"dashboard-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(work);
        try
        {
            Console.WriteLine($"# Ingest benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, " +
                              $"{GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB");
            Console.WriteLine();
            var rawIndexed = RawInsertBaseline.RowsPerSecond(Path.Combine(work, "raw-indexed.db"), o.Rows, "");
            var rawTimeOnly = RawInsertBaseline.RowsPerSecond(Path.Combine(work, "raw-time.db"), o.Rows, "IX_Events_MessageId");
            var rawBare = RawInsertBaseline.RowsPerSecond(Path.Combine(work, "raw-bare.db"), o.Rows,
                "IX_Events_MessageId,IX_Events_Name_Timestamp_UserId,IX_Events_Timestamp,IX_Events_UserId_Timestamp");
            Console.WriteLine($"Raw prepared INSERT into Events, one transaction, {o.Rows:N0} rows:");
            Console.WriteLine($"  with all secondary indexes            {rawIndexed,10:N0} rows/s");
            Console.WriteLine($"  without the MessageId (dedup) index   {rawTimeOnly,10:N0} rows/s");
            Console.WriteLine($"  without secondary indexes             {rawBare,10:N0} rows/s");

            var results = new List<(string Name, LoadResult R)>();
            foreach (var eventsPerRequest in new[] { 1, 100 })
            {
                await using var server = await ServerProcess.StartAsync(Path.Combine(work, $"http-{eventsPerRequest}.db"), Key);
                var load = await LoadGenerator.RunAsync(server.BaseAddress, Key, eventsPerRequest, o.Connections, TimeSpan.FromSeconds(o.Seconds));
                load = load with { PeakMemoryBytes = server.PeakMemoryBytes() };
                results.Add(($"{eventsPerRequest}-event requests", load));
            }

            Console.WriteLine();
            Console.WriteLine($"| HTTP, {o.Connections} connections, {o.Seconds} s | requests/s | events/s | p50 ms | p99 ms | errors | server peak RSS | events/s ÷ raw (no sec. indexes) | ÷ raw (same indexes) |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var (name, r) in results)
            {
                Console.WriteLine($"| {name} | {r.RequestsPerSecond:N0} | {r.EventsPerSecond:N0} | {r.P50Ms:F1} | {r.P99Ms:F1} | {r.Errors} | " +
                                  $"{r.PeakMemoryBytes / 1048576.0:N0} MB | {r.EventsPerSecond / rawBare:P1} | {r.EventsPerSecond / rawIndexed:P1} |");
            }
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }
}

public sealed record LoadResult(double RequestsPerSecond, double EventsPerSecond, double P50Ms, double P99Ms, long Errors, long PeakMemoryBytes);

/// <summary>Closed-loop load: each connection sends its next request when the previous one is answered.</summary>
public static class LoadGenerator
{
    public static async Task<LoadResult> RunAsync(Uri baseAddress, string key, int eventsPerRequest, int connections, TimeSpan duration)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);

        // Warm up (JIT, connection set-up) before measuring.
        await Run(client, eventsPerRequest, connections, TimeSpan.FromSeconds(2), 0, measure: false);
        return await Run(client, eventsPerRequest, connections, duration, 1, measure: true);
    }

    private static async Task<LoadResult> Run(HttpClient client, int eventsPerRequest, int connections, TimeSpan duration, int round, bool measure)
    {
        var r = await ClosedLoopAsync(client, connections, duration, (c, n) =>
            new HttpRequestMessage(HttpMethod.Post, "/ingest") { Content = new StringContent(Body(round, c, n, eventsPerRequest), Encoding.UTF8, "application/json") });
        if (!measure) return new LoadResult(0, 0, 0, 0, r.Errors, 0);
        return new LoadResult(r.RequestsPerSecond, (r.Requests - r.Errors) * eventsPerRequest / r.Seconds, r.P50Ms, r.P99Ms, r.Errors, 0);
    }

    /// <summary>The <paramref name="n"/>th request of loop <paramref name="c"/> in a round: FEATURE_ENGAGED events of 200,000 users, unique messageIds.</summary>
    public static string Body(int round, int c, long n, int eventsPerRequest)
    {
        var sb = new StringBuilder(eventsPerRequest * 200).Append("{\"batch\":[");
        for (var i = 0; i < eventsPerRequest; i++)
        {
            if (i > 0) sb.Append(',');
            var id = n * eventsPerRequest + i;
            sb.Append("{\"event\":\"FEATURE_ENGAGED\",\"userId\":\"u").Append((id * 7919 + c) % 200_000)
              .Append("\",\"messageId\":\"r").Append(round).Append('-').Append(c).Append('-').Append(id)
              .Append("\",\"properties\":{\"featureName\":\"feature_").Append(id % 12).Append("\",\"clickTarget\":\"button\"}}");
        }
        return sb.Append("]}").ToString();
    }

    public sealed record ClosedLoopResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Requests, long Errors, double Seconds);

    /// <summary>
    /// <paramref name="connections"/> loops, each sending its next request (built by
    /// <paramref name="request"/> from the loop's index and its request count) when the previous
    /// one is answered, for <paramref name="duration"/>; anything but 200 counts as an error.
    /// </summary>
    public static async Task<ClosedLoopResult> ClosedLoopAsync(HttpClient client, int connections, TimeSpan duration,
        Func<int, long, HttpRequestMessage> request)
    {
        var latencies = new List<double>[connections];
        long errors = 0, requests = 0;
        var stop = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async c =>
        {
            var mine = latencies[c] = new List<double>(200_000);
            long n = 0;
            while (stop.Elapsed < duration)
            {
                using var message = request(c, n++);
                var t = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await client.SendAsync(message);
                    await response.Content.ReadAsByteArrayAsync();
                    if (response.StatusCode != HttpStatusCode.OK) Interlocked.Increment(ref errors);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                }
                mine.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                Interlocked.Increment(ref requests);
            }
        }));
        var elapsed = stop.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        double Percentile(double p) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(p * all.Length))];
        return new ClosedLoopResult(requests / elapsed, Percentile(0.50), Percentile(0.99), requests, errors, elapsed);
    }
}

/// <summary>The Release build of App, started as its own process on a free loopback port.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<ServerProcess> StartAsync(string databasePath, string writeKey, IReadOnlyDictionary<string, string>? environment = null)
    {
        var dll = Path.Combine(RepositoryRoot(), "App", "bin", "Release", "net10.0", "Dashboard.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException("Build App in Release first (dotnet run -c Release --project Bench builds it).", dll);
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet", $"\"{dll}\"")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["Urls"] = $"http://127.0.0.1:{port}";
        psi.Environment["ConnectionStrings__Dashboard"] = $"Data Source={databasePath}";
        psi.Environment["Demo__Seed"] = "false";
        psi.Environment["Auth__ApiKeys__0__Key"] = writeKey;
        psi.Environment["Auth__ApiKeys__0__Role"] = "write";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        // The benchmark measures the store, not the per-key rate limit: lift it for its one key.
        psi.Environment["RateLimits__IngestPerSecond"] = "1000000";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[server] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}"));
        using var probe = new HttpClient { BaseAddress = server.BaseAddress };
        for (var i = 0; i < 300; i++)
        {
            try
            {
                if ((await probe.GetAsync("/healthz")).IsSuccessStatusCode) return server;
            }
            catch (HttpRequestException) { }
            if (process.HasExited) throw new InvalidOperationException("the server exited at start-up");
            await Task.Delay(100);
        }
        throw new TimeoutException("the server did not start within 30 s");
    }

    /// <summary>Peak resident set size of the server process (VmHWM), in bytes.</summary>
    public long PeakMemoryBytes() => StatusBytes("VmHWM:");

    /// <summary>Resident set size of the server process now (VmRSS), in bytes.</summary>
    public long MemoryBytes() => StatusBytes("VmRSS:");

    private long StatusBytes(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        return 0;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Dashboard.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("Dashboard.sln not found above " + AppContext.BaseDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
