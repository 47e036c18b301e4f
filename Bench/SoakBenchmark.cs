using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;

namespace Dashboard.Bench;

/// <summary>
/// A steady load for minutes: the server (Release build, own process, synchronous=FULL) is first
/// driven flat out for a few seconds to measure its ingest maximum; then requests of 100 events are
/// sent on a fixed schedule at half that rate (open loop: a late answer does not delay the next
/// request, and latency counts from the scheduled time) while a reader asks the insight endpoints,
/// <c>/metrics</c> and <c>/readyz</c> every few seconds, as open pages and a scraper would, and the
/// server's rollup job folds as it is scheduled. Reports the server's resident memory every
/// sample, latency percentiles and errors.
/// </summary>
public static class SoakBenchmark
{
    private const string WriteKey = "wk_soak_write", ReadKey = "rk_soak_read";
    private const int EventsPerRequest = 100;
    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan ReadEvery = TimeSpan.FromSeconds(3);
    private const int MaxInFlight = 512;

    public static async Task RunAsync(BenchOptions o)
    {
        var work = Path.Combine(Path.GetTempPath(), $"dashboard-soak-{Environment.ProcessId}");
        Directory.CreateDirectory(work);
        try
        {
            await using var server = await ServerProcess.StartAsync(Path.Combine(work, "soak.db"), WriteKey, new Dictionary<string, string>
            {
                ["Auth__ApiKeys__1__Key"] = ReadKey, ["Auth__ApiKeys__1__Role"] = "read", ["Backup__Enabled"] = "false",
            });
            var max = await LoadGenerator.RunAsync(server.BaseAddress, WriteKey, EventsPerRequest, o.Connections, TimeSpan.FromSeconds(o.Seconds));
            var rate = max.EventsPerSecond / 2 / EventsPerRequest; // requests per second
            var duration = TimeSpan.FromMinutes(o.Minutes);
            Console.WriteLine($"# Soak, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {o.Minutes} min");
            Console.WriteLine($"Measured maximum: {max.EventsPerSecond:N0} events/s ({o.Connections} connections, {o.Seconds} s, {EventsPerRequest}-event requests); " +
                              $"soak at 50 %: {rate * EventsPerRequest:N0} events/s ({rate:N1} requests/s).");

            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = MaxInFlight, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
            using var writer = new HttpClient(handler) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            writer.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", WriteKey);
            using var reader = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            reader.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ReadKey);

            var ingestMs = new ConcurrentBag<double>();
            var readMs = new ConcurrentBag<double>();
            long ingestErrors = 0, readErrors = 0, skipped = 0, events = 0;
            var memory = new List<(TimeSpan At, long Bytes)> { (TimeSpan.Zero, server.MemoryBytes()) };
            var clock = Stopwatch.StartNew();
            using var stop = new CancellationTokenSource(duration);

            var reads = Task.Run(async () =>
            {
                var today = DateTime.UtcNow.ToString("yyyy-MM-dd");
                var from = DateTime.UtcNow.AddDays(-6).ToString("yyyy-MM-dd");
                string[] paths =
                [
                    $"/api/insights/activity?from={from}&to={today}&interval=day", $"/api/insights/features?from={from}&to={today}",
                    $"/api/insights/retention?from={from}&to={today}", $"/api/insights/funnel?steps=FEATURE_ENGAGED,FEATURE_ENGAGED&window=1d&from={from}&to={today}",
                    "/metrics", "/readyz",
                ];
                while (!stop.IsCancellationRequested)
                {
                    foreach (var path in paths)
                    {
                        var t = Stopwatch.GetTimestamp();
                        try
                        {
                            using var response = await reader.GetAsync(path);
                            await response.Content.ReadAsByteArrayAsync();
                            // /readyz may say 503 while the job defers to ingest for a while; it is reported, not an error of the load.
                            if (response.StatusCode != HttpStatusCode.OK && path != "/readyz") Interlocked.Increment(ref readErrors);
                        }
                        catch (HttpRequestException) { Interlocked.Increment(ref readErrors); }
                        catch (TaskCanceledException) { Interlocked.Increment(ref readErrors); }
                        readMs.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                    }
                    try { await Task.Delay(ReadEvery, stop.Token); } catch (OperationCanceledException) { }
                }
            });
            var sampler = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try { await Task.Delay(SampleEvery, stop.Token); } catch (OperationCanceledException) { }
                    lock (memory) memory.Add((clock.Elapsed, server.MemoryBytes()));
                }
            });

            using var inFlight = new SemaphoreSlim(MaxInFlight);
            var pending = new List<Task>();
            for (long n = 0; ; n++)
            {
                var due = TimeSpan.FromSeconds(n / rate);
                if (due >= duration) break;
                var wait = due - clock.Elapsed;
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
                if (!inFlight.Wait(0))
                {
                    Interlocked.Increment(ref skipped); // the server is that far behind: counted, not queued without end
                    continue;
                }
                var body = LoadGenerator.Body(round: 2, c: 0, n, EventsPerRequest); // rounds 0 and 1 measured the maximum
                pending.Add(Task.Run(async () =>
                {
                    try
                    {
                        using var response = await writer.PostAsync("/ingest", new StringContent(body, Encoding.UTF8, "application/json"));
                        await response.Content.ReadAsByteArrayAsync();
                        if (response.StatusCode == HttpStatusCode.OK) Interlocked.Add(ref events, EventsPerRequest);
                        else Interlocked.Increment(ref ingestErrors);
                    }
                    catch (HttpRequestException) { Interlocked.Increment(ref ingestErrors); }
                    catch (TaskCanceledException) { Interlocked.Increment(ref ingestErrors); }
                    finally
                    {
                        ingestMs.Add((clock.Elapsed - due).TotalMilliseconds);
                        inFlight.Release();
                    }
                }));
                if (pending.Count > 10_000) pending.RemoveAll(t => t.IsCompleted);
            }
            await Task.WhenAll(pending);
            await stop.CancelAsync();
            await Task.WhenAll(reads, sampler);
            memory.Add((clock.Elapsed, server.MemoryBytes()));

            static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
            var ingest = ingestMs.Order().ToArray();
            var read = readMs.Order().ToArray();
            Console.WriteLine();
            Console.WriteLine("| | requests | p50 ms | p99 ms | max ms | errors |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|");
            Console.WriteLine($"| ingest ({events / clock.Elapsed.TotalSeconds:N0} events/s stored) | {ingest.Length:N0} | {Percentile(ingest, 0.5):F1} | {Percentile(ingest, 0.99):F1} | {ingest.LastOrDefault():F0} | {ingestErrors} (+{skipped} not sent: {MaxInFlight} in flight) |");
            Console.WriteLine($"| insights, /metrics, /readyz | {read.Length:N0} | {Percentile(read, 0.5):F1} | {Percentile(read, 0.99):F1} | {read.LastOrDefault():F0} | {readErrors} |");
            Console.WriteLine();
            Console.WriteLine("| time | server RSS |");
            Console.WriteLine("|---:|---:|");
            foreach (var (at, bytes) in memory) Console.WriteLine($"| {at.TotalSeconds:F0} s | {bytes / 1048576.0:N0} MB |");
            Console.WriteLine();
            Console.WriteLine($"Server peak RSS {server.PeakMemoryBytes() / 1048576.0:N0} MB.");
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }
}
