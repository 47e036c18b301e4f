namespace Dashboard.Access;

/// <summary>The roles a signed-in person can have. Admins can do everything viewers can.</summary>
public static class AccountRoles
{
    public const string Viewer = "viewer";
    public const string Admin = "admin";
    public static readonly string[] All = [Viewer, Admin];

    /// <summary>The user name of the account created at first start.</summary>
    public const string BootstrapAdmin = "admin";
}

/// <summary>
/// Authorization policies. Pages and the jobs dashboard only look at the session cookie; the
/// read endpoints accept either a session or an API key with the read (or admin) role.
/// </summary>
public static class AccessPolicies
{
    /// <summary>Any signed-in viewer or admin (the fallback policy for everything not marked otherwise).</summary>
    public const string Session = "session";

    /// <summary>A signed-in admin.</summary>
    public const string Admin = "admin";

    /// <summary>A signed-in viewer or admin, or an API key with the read or admin role.</summary>
    public const string Reader = "reader";

    /// <summary>A signed-in admin, or an API key with the admin role: the write endpoints of the API.</summary>
    public const string AdminApi = "admin-api";
}
