using Dashboard.Access;
using Dashboard.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;

namespace Dashboard.Setup;

/// <summary>
/// Who may open what. People sign in with a cookie (ASP.NET Core Identity on the same database)
/// and are viewers or admins; programs present an API key. Everything needs a signed-in viewer
/// unless its endpoint says otherwise (the fallback policy).
/// </summary>
public static class AccessSetup
{
    /// <summary>The scheme of the read endpoints: the API key when an Authorization header is sent, else the session.</summary>
    public const string KeyOrSessionScheme = "KeyOrSession";

    public static IServiceCollection AddDashboardAccess(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        // Outside Development, cookies travel over HTTPS only, plain HTTP from this machine aside (SecureCookies).
        var secure = !environment.IsDevelopment();
        services.Configure<AuthOptions>(configuration.GetSection("Auth"));
        services.Configure<RateLimitOptions>(configuration.GetSection("RateLimits"));
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<PeopleAdmin>();
        // Stateless, so one for the app: the throttle (a singleton) keys user names with the same
        // normalizer Identity looks them up with. AddIdentityCore keeps an existing registration.
        services.AddSingleton<ILookupNormalizer, UpperInvariantLookupNormalizer>();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<AccessBootstrap>();
        services.AddSingleton<StartupBanner>();
        services.AddSingleton<UntrustedProxyWarning>();

        services.AddAuthentication(o =>
            {
                o.DefaultScheme = IdentityConstants.ApplicationScheme;
                o.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddPolicyScheme(KeyOrSessionScheme, "API key or session", o =>
            {
                o.ForwardDefaultSelector = http => ApiKeyHeader.Read(http.Request) is null
                    ? IdentityConstants.ApplicationScheme
                    : ApiKeyAuthenticationHandler.SchemeName;
                // Programs get 401/403 with a JSON body, never a redirect to the sign-in page.
                o.ForwardChallenge = ApiKeyAuthenticationHandler.SchemeName;
                o.ForwardForbid = ApiKeyAuthenticationHandler.SchemeName;
            })
            .AddIdentityCookies();

        services.AddIdentityCore<IdentityUser>(o =>
            {
                o.Password.RequiredLength = 10;
                o.Password.RequireNonAlphanumeric = false;
                // Guessing is throttled per client address by SignInThrottle instead of locking the
                // account, which would let anyone keep a known user name (admin) out.
                o.Lockout.AllowedForNewUsers = false;
                o.User.RequireUniqueEmail = false;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<DashboardDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders();
        // A changed role or password reaches other sessions within a minute.
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.FromMinutes(1));
        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/account/login";
            o.LogoutPath = "/account/logout";
            o.ReturnUrlParameter = "returnUrl";
            o.Cookie.Name = "dashboard.session";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.Path = "/";
            if (secure) o.Cookie = new SecureCookieBuilder(o.Cookie);
            o.SlidingExpiration = true;
            o.ExpireTimeSpan = TimeSpan.FromHours(12);
            // Every request checks the cookie's security stamp against the store (one indexed read), so
            // a cookie stops working the moment its person signs out, changes password or role, or is
            // removed; the framework's validator then refreshes the roles in the cookie once a minute.
            o.Events.OnValidatePrincipal = async context =>
            {
                var users = context.HttpContext.RequestServices.GetRequiredService<UserManager<IdentityUser>>();
                var stampClaim = context.HttpContext.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<IdentityOptions>>()
                    .Value.ClaimsIdentity.SecurityStampClaimType;
                if (context.Principal is null || !await RevalidatingAuthenticationStateProvider.IsCurrentAsync(users, context.Principal, stampClaim))
                {
                    context.RejectPrincipal();
                    await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
                    return;
                }
                await SecurityStampValidator.ValidatePrincipalAsync(context);
            };
            // A signed-in person without the role gets 403 and the status page, not a redirect loop.
            o.Events.OnRedirectToAccessDenied = context =>
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            };
        });

        services.AddAuthorizationBuilder()
            .AddPolicy(AccessPolicies.Session, p => p
                .AddAuthenticationSchemes(IdentityConstants.ApplicationScheme)
                .RequireRole(AccountRoles.Viewer, AccountRoles.Admin))
            .AddPolicy(AccessPolicies.Admin, p => p
                .AddAuthenticationSchemes(IdentityConstants.ApplicationScheme)
                .RequireRole(AccountRoles.Admin))
            .AddPolicy(AccessPolicies.Reader, p => p
                .AddAuthenticationSchemes(KeyOrSessionScheme)
                .RequireAuthenticatedUser()
                .RequireAssertion(c => c.User.Identity?.AuthenticationType == ApiKeyAuthenticationHandler.SchemeName
                    ? c.User.HasClaim(ApiKeyAuthenticationHandler.RoleClaim, ApiRoles.Read) || c.User.HasClaim(ApiKeyAuthenticationHandler.RoleClaim, ApiRoles.Admin)
                    : c.User.IsInRole(AccountRoles.Viewer) || c.User.IsInRole(AccountRoles.Admin)))
            .AddPolicy(AccessPolicies.ApiAdmin, p => p
                .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser()
                .RequireClaim(ApiKeyAuthenticationHandler.RoleClaim, ApiRoles.Admin))
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder()
                .AddAuthenticationSchemes(IdentityConstants.ApplicationScheme)
                .RequireRole(AccountRoles.Viewer, AccountRoles.Admin)
                .Build());

        services.AddAntiforgery(o =>
        {
            o.Cookie.Path = "/";
            if (secure) o.Cookie = new SecureCookieBuilder(o.Cookie);
        });
        services.AddHsts(o => o.MaxAge = TimeSpan.FromDays(365));
        ProxyHeaders.Configure(services);

        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, RevalidatingAuthenticationStateProvider>();

        // Read when the limiter is built, so settings added after this call (tests) still count.
        services.AddRateLimiter(_ => { });
        services.AddOptions<Microsoft.AspNetCore.RateLimiting.RateLimiterOptions>()
            .Configure<Microsoft.Extensions.Options.IOptions<RateLimitOptions>>((o, limits) => IngestRateLimits.Configure(o, limits.Value));
        return services;
    }

    /// <summary>The access middleware, in order: rate limits, then who is asking, then what they may open.</summary>
    public static WebApplication UseDashboardAccess(this WebApplication app)
    {
        if (ProxyHeaders.IsAddedByUs(app.Configuration)) app.UseForwardedHeaders();
        var untrustedProxy = app.Services.GetRequiredService<UntrustedProxyWarning>();
        app.Use((context, next) =>
        {
            untrustedProxy.Check(context);
            return next(context);
        });
        if (!app.Environment.IsDevelopment()) app.UseHsts();
        app.UseRouting();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }
}
