using Dashboard.Bench;

var command = args.FirstOrDefault() ?? "ingest";
var options = BenchOptions.Parse(args.Skip(1).ToArray());
switch (command)
{
    case "ingest":
        await IngestBenchmark.RunAsync(options);
        return 0;
    case "analytics":
        await AnalyticsBenchmark.RunAsync(options);
        return 0;
    case "flags":
        await FlagBenchmark.RunAsync(options);
        return 0;
    case "writer":
        foreach (var batch in new[] { 1, 64, 5000 })
        foreach (var sync in new[] { "Full", "Normal" })
        {
            var path = Path.Combine(Path.GetTempPath(), $"writer-{Guid.NewGuid():N}.db");
            var rate = WriterBaseline.EventsPerSecond(path, batch == 1 ? 20_000 : options.Rows, batch, sync);
            Console.WriteLine($"writer store, {batch} events per transaction, synchronous={sync}: {rate:N0} events/s");
            foreach (var f in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(path) + "*")) File.Delete(f);
        }
        return 0;
    case "soak":
        await SoakBenchmark.RunAsync(options);
        return 0;
    case "fixture":
        // The upgrade test's fixture: fixture FOLDER (App.Tests/Fixtures/upgrade)
        return await UpgradeFixture.RunAsync(args.Length > 1 ? args[1] : Path.Combine("App.Tests", "Fixtures", "upgrade"));
    case "load":
        // Load against a server that is already running: load URL KEY EVENTS_PER_REQUEST
        var r = await LoadGenerator.RunAsync(new Uri(args[1]), args[2], int.Parse(args[3]), 64, TimeSpan.FromSeconds(args.Length > 4 ? int.Parse(args[4]) : 10));
        Console.WriteLine(r);
        return 0;
    default:
        Console.Error.WriteLine("usage: dotnet run -c Release --project Bench -- ingest|flags [--seconds N] [--rows N] [--connections N] | analytics [--runs N] | soak [--minutes 10] | fixture DIR");
        return 2;
}
