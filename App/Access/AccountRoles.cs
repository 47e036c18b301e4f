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

/// <summary>Longest user name and password the sign-in form and the people page take (user names like other ids).</summary>
public static class AccountLimits
{
    public const int MaxUserNameLength = 256;
    public const int MaxPasswordLength = 1024;
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

    /// <summary>
    /// An API key with the admin role: programs that change state (e.g. <c>PUT /api/flags/{key}</c>).
    /// Sessions change state through the pages, whose forms carry antiforgery tokens.
    /// </summary>
    public const string ApiAdmin = "api-admin";
}
