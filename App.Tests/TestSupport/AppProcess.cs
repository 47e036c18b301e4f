using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Dashboard.Tests.TestSupport;

/// <summary>
/// The application as a process of its own (<c>dotnet Dashboard.dll</c> from the App project's
/// build output) on a given SQLite file, with the test keys, so a test can kill it with SIGKILL and
/// start it again on the same file. Standard output is kept to wait for lines such as a
/// <c>FaultPoint</c>'s.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private AppProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public IReadOnlyCollection<string> Output => _output;

    /// <summary>The App project's build output, beside this test project's (same configuration and framework).</summary>
    public static string AppDll
    {
        get
        {
            var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)); // App.Tests/bin/<Configuration>/<tfm>
            var (tfm, configuration) = (testBin.Name, testBin.Parent!.Name);
            var root = testBin.Parent!.Parent!.Parent!.Parent!.FullName;
            var dll = Path.Combine(root, "App", "bin", configuration, tfm, "Dashboard.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException("the App project's build output is missing", dll);
        }
    }

    /// <param name="faultPoint">Arms a <c>Dashboard.Operations.FaultPoint</c> in the process (null: none).</param>
    public static async Task<AppProcess> StartAsync(string databasePath, string? faultPoint = null, bool waitUntilServing = true)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet", [AppDll])
        {
            WorkingDirectory = Path.GetDirectoryName(AppDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var env = start.Environment;
        env["ASPNETCORE_ENVIRONMENT"] = "Testing";
        env["Urls"] = $"http://127.0.0.1:{port}";
        env["ConnectionStrings__Dashboard"] = $"Data Source={databasePath}";
        env["Demo__Seed"] = "false";
        env["Backup__Enabled"] = "false";
        env["Auth__AdminPassword"] = DashboardFactory.AdminPassword;
        env["Auth__ApiKeys__0__Key"] = DashboardFactory.WriteKey;
        env["Auth__ApiKeys__0__Role"] = "write";
        env["Auth__ApiKeys__1__Key"] = DashboardFactory.ReadKey;
        env["Auth__ApiKeys__1__Role"] = "read";
        env["Logging__LogLevel__Default"] = "Warning";
        if (faultPoint is not null) env["DASHBOARD_FAULT_POINT"] = faultPoint;
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var app = new AppProcess(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) app._output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) app._output.Enqueue("stderr: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (waitUntilServing) await app.WaitUntilServingAsync();
        return app;
    }

    /// <summary>Waits until <c>/healthz</c> answers 200 (migrations and seeding done: the server listens after them).</summary>
    public async Task WaitUntilServingAsync(TimeSpan? timeout = null)
    {
        using var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the app exited with {_process.ExitCode}:\n{string.Join('\n', _output)}");
            try
            {
                using var response = await client.GetAsync("/healthz");
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the app did not serve in time:\n{string.Join('\n', _output)}");
            await Task.Delay(200);
        }
    }

    /// <summary>Waits for a line of standard output; the output so far in the failure otherwise.</summary>
    public async Task WaitForOutputAsync(string line, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!_output.Contains(line))
        {
            if (_process.HasExited) throw new InvalidOperationException($"the app exited with {_process.ExitCode} before \"{line}\":\n{string.Join('\n', _output)}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no \"{line}\" in time:\n{string.Join('\n', _output)}");
            await Task.Delay(100);
        }
    }

    public HttpClient CreateClient(string key)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>SIGKILL: the process ends at once, without any of its shutdown code.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
