namespace Dashboard.Access;

/// <summary>Settings under <c>Auth</c> (the keys under <c>Auth:ApiKeys</c> are read by <see cref="ApiKeyStore"/>).</summary>
public sealed class AuthOptions
{
    /// <summary>Password of the admin created at first start; empty: one is generated and printed once.</summary>
    public string AdminPassword { get; set; } = "";

    /// <summary>How long a failed sign-in waits before it answers, on top of the per-address throttle of SignInThrottle.</summary>
    public int FailedSignInDelayMs { get; set; } = 1000;
}
