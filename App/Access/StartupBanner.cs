using Dashboard.Data;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Dashboard.Access;

/// <summary>
/// The lines printed once the host listens: its addresses, the database file, how to sign in and
/// a new write key with an example call. Written to the console, never the log: a generated
/// password or key is shown exactly once.
/// </summary>
public sealed class StartupBanner(IServer server, DatabaseLocation database)
{
    public void Print(AccessBootstrapResult access)
    {
        var urls = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        Console.WriteLine();
        Console.WriteLine($"Dashboard is running at {string.Join(", ", urls)}");
        Console.WriteLine($"Database: {database.FilePath}");
        if (access.Admin.GeneratedPassword is { } password)
            Console.WriteLine($"Admin login (shown once, store it now): user {AccountRoles.BootstrapAdmin}, password {password}");
        else if (access.Admin.Created)
            Console.WriteLine($"Admin login: user {AccountRoles.BootstrapAdmin}, password from Auth:AdminPassword");
        else
            Console.WriteLine("Sign in with an existing account; admins manage people at /admin/people");
        if (access.NewWriteKey is { } key)
        {
            Console.WriteLine($"Write key (shown once, store it now): {key}");
            Console.WriteLine($"  curl -u {key}: -H 'Content-Type: application/json' {urls.FirstOrDefault() ?? "http://localhost:5000"}/ingest \\");
            Console.WriteLine("       -d '{\"event\":\"FEATURE_ENGAGED\",\"userId\":\"u1\",\"properties\":{\"featureName\":\"export\",\"clickTarget\":\"button\"}}'");
        }
        Console.WriteLine();
    }
}
