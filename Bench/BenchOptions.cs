namespace Dashboard.Bench;

public sealed record BenchOptions(int Seconds, int Rows, int Connections, int Runs, int Tail, bool Reuse, int Minutes = 10)
{
    public static BenchOptions Parse(string[] args)
    {
        int Get(string name, int fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
        }
        return new BenchOptions(Get("--seconds", 10), Get("--rows", 1_000_000), Get("--connections", 64), Get("--runs", 5),
            Get("--tail", 6_000), args.Contains("--reuse"), Get("--minutes", 10));
    }
}
