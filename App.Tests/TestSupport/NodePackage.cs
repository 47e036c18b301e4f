using System.Diagnostics;

namespace Dashboard.Tests.TestSupport;

/// <summary>
/// A folder of the source tree with a package.json and its lock file, for tests that run pinned
/// JavaScript clients: installs them with <c>npm ci</c> when node_modules is missing or older than
/// the lock, and runs node or npm in the folder.
/// </summary>
public sealed class NodePackage(string folder)
{
    public string Folder { get; } = folder;

    /// <summary>The package in <paramref name="relative"/> (path parts below the repository's top), found from the test binaries upwards.</summary>
    public static NodePackage InRepository(params string[] relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Dashboard.sln")))
                return new NodePackage(Path.Combine([dir.FullName, .. relative]));
        throw new InvalidOperationException("Dashboard.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>True when <c>node</c> is on the PATH.</summary>
    public static bool NodeInstalled =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, "node")));

    public Task<(int Exit, string Output, string Error)> RunAsync(string file, params string[] arguments) =>
        RunAsync(file, arguments, null, TimeSpan.FromMinutes(3));

    /// <summary>Runs a program in the folder with extra environment variables; killed (and reported) past the timeout.</summary>
    public async Task<(int Exit, string Output, string Error)> RunAsync(string file, string[] arguments,
        IDictionary<string, string>? environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file, arguments) { WorkingDirectory = Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish in {timeout}: {await output}{await error}");
        }
        return (process.ExitCode, await output, await error);
    }

    /// <summary>Installs the pinned packages from the lock file when node_modules is missing or older than the lock.</summary>
    public async Task EnsureInstalledAsync()
    {
        var marker = Path.Combine(Folder, "node_modules", ".package-lock.json");
        if (File.Exists(marker) && File.GetLastWriteTimeUtc(marker) >= File.GetLastWriteTimeUtc(Path.Combine(Folder, "package-lock.json"))) return;
        var (exit, output, error) = await RunAsync("npm", "ci", "--no-audit", "--no-fund");
        if (exit != 0) throw new InvalidOperationException($"npm ci failed in {Folder}: {output}{error}");
    }
}
