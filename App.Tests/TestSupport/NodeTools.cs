using System.Diagnostics;

namespace Dashboard.Tests.TestSupport;

/// <summary>Runs Node.js and npm for the tests of the JavaScript packages in the source tree.</summary>
public static class NodeTools
{
    /// <summary>A folder of the source tree (relative to where Dashboard.sln is), found from the test binaries upwards.</summary>
    public static string SourceFolder(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Dashboard.sln")))
                return Path.Combine([dir.FullName, .. parts]);
        throw new InvalidOperationException("Dashboard.sln not found above " + AppContext.BaseDirectory);
    }

    public static async Task<(int Exit, string Output, string Error)> RunAsync(string file, string[] arguments, string folder,
        IDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file, arguments) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish: {await output}{await error}");
        }
        return (process.ExitCode, await output, await error);
    }

    /// <summary>Installs the pinned packages from the lock file when node_modules is missing or older than the lock.</summary>
    public static async Task EnsureInstalledAsync(string folder)
    {
        var marker = Path.Combine(folder, "node_modules", ".package-lock.json");
        if (File.Exists(marker) && File.GetLastWriteTimeUtc(marker) >= File.GetLastWriteTimeUtc(Path.Combine(folder, "package-lock.json"))) return;
        var (exit, output, error) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], folder);
        Assert.True(exit == 0, $"npm ci failed: {output}{error}");
    }
}
