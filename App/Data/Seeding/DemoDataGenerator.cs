using System.Text.Json;
using Dashboard.Flags;
using Dashboard.Ingest;

namespace Dashboard.Data.Seeding;

public sealed record DemoFeature(string Name, double Adoption, List<string> ClickTargets);

public sealed record DemoSettings(
    int Seed,
    int Users,
    int Weeks,
    double ActivationRate,
    double NewOnboardingActivationRate,
    double BetaShare,
    double PremiumShare,
    string OnboardingFlag,
    List<string> ReferralSources,
    List<string> Templates,
    List<DemoFeature> Features,
    double WeeklyReturnRate,
    double ActivatedWeeklyReturnRate,
    double VisitorShare = 0,
    int UsersPerAccount = 0);

/// <summary>A flag evaluation that served a variant: the exposure an experiment on the flag records.</summary>
public sealed record DemoExposure(string UserKey, string Variant, long Timestamp);

/// <summary>
/// A deterministic demo data set: the same settings and the same "now" give the same events.
/// Users sign up evenly over the last <c>Weeks</c> weeks. Users in the beta cohort get the new
/// onboarding flow (the <c>OnboardingFlag</c> flag's targeting rule). Each user's flow is what
/// <see cref="FlagEvaluator"/> serves for the flag with the user's cohort: users the rollout split
/// serves a variant are exposed at signup to it (reported to <c>exposures</c>), and a user is on the
/// new flow when the flag is on and the variant, if any, is not the first (control). Users on the new flow
/// activate (create a project within 7 days) at <c>NewOnboardingActivationRate</c>; everyone else
/// at <c>ActivationRate</c>. Each user adopts each
/// feature with the feature's adoption probability and uses it in the weeks they come back.
/// A <c>VisitorShare</c> of users first came as anonymous visitors (page views on the marketing
/// site in the three days before signing up, under an anonymous id their signup's identify
/// merges into them), and users belong to accounts of about <c>UsersPerAccount</c> (a group call
/// at signup with the account's plan, industry and seats). Those draws come from a second random
/// sequence, so the rest of the data set is the same with or without them.
/// </summary>
public static class DemoDataGenerator
{
    private const long Minute = 60_000, Hour = 60 * Minute, Day = 24 * Hour, Week = 7 * Day;

    public static IEnumerable<ValidEvent> Generate(DemoSettings s, CompiledFlag? flag, DateTimeOffset now, ICollection<DemoExposure>? exposures = null)
    {
        var rng = new Random(s.Seed);
        var web = new Random(s.Seed + 1);
        var accounts = s.UsersPerAccount > 0 ? Math.Max(1, s.Users / s.UsersPerAccount) : 0;
        var end = now.ToUnixTimeMilliseconds();
        var start = end - s.Weeks * Week;
        for (var i = 0; i < s.Users; i++)
        {
            var userId = $"user-{i + 1:D5}";
            var n = 0;
            string Id() => $"demo-{userId}-{n++}";
            var signup = start + (long)(rng.NextDouble() * (end - start - Hour));
            var cohort = rng.NextDouble() < s.BetaShare ? "beta" : "general";
            var plan = rng.NextDouble() < s.PremiumShare ? "premium" : "free";
            var served = flag is null ? (Evaluation?)null
                : FlagEvaluator.Evaluate(flag, new EvaluationContext(userId, new Dictionary<string, string> { ["cohort"] = cohort }));
            if (served is { Reason: EvaluationReason.Split, Variant: { } variant }) exposures?.Add(new DemoExposure(userId, variant, signup));
            var newFlow = served is { On: true } on && (on.Variant is null || on.Variant != flag!.State.Variants[0].Key);

            string? visitor = null;
            if (web.NextDouble() < s.VisitorShare)
            {
                visitor = $"anon-{i + 1:D5}";
                var views = 1 + web.Next(3);
                for (var v = 0; v < views; v++)
                {
                    var path = v == views - 1 ? "/pricing" : Pick(web, ["/", "/features", "/blog/launch", "/customers"]);
                    var at = signup - (views - v) * (long)(web.NextDouble() * Day) - Minute;
                    yield return new ValidEvent(MessageType.Page, visitor, EventValidator.PageEvent,
                        Json(new { path, url = $"https://example.com{path}", title = PageTitle(path), referrer = "" }), null, at, Id()) { Anonymous = true };
                }
            }
            yield return new ValidEvent(MessageType.Identify, userId, null, "{}",
                Json(new { cohort, plan, email = $"{userId}@example.com" }), signup, Id()) { MergeKey = visitor };
            if (accounts > 0)
            {
                var account = 1 + web.Next(accounts);
                var traits = new Random(s.Seed * 31 + account); // an account's traits are the same for all its users
                yield return new ValidEvent(MessageType.Group, userId, null, "{}", Json(new
                {
                    name = $"Account {account:D4}",
                    plan = Pick(traits, ["starter", "team", "team", "enterprise"]),
                    industry = Pick(traits, ["software", "retail", "finance", "education", "health"]),
                    seats = 5 + traits.Next(200),
                }), signup, Id()) { GroupKey = $"account-{account:D4}" };
            }
            yield return Track(userId, "USER_REGISTERED", new { referralSource = Pick(rng, s.ReferralSources), planType = plan }, signup, Id());

            var activated = rng.NextDouble() < (newFlow ? s.NewOnboardingActivationRate : s.ActivationRate);
            if (activated)
            {
                var at = signup + 10 * Minute + (long)(rng.NextDouble() * 6 * Day);
                if (at <= end)
                    yield return Track(userId, "PROJECT_CREATED", new { projectId = $"p-{i + 1}", templateUsed = Pick(rng, s.Templates) }, at, Id());
            }

            var adopted = s.Features.Where(f => rng.NextDouble() < f.Adoption).ToList();
            var returnRate = activated ? s.ActivatedWeeklyReturnRate : s.WeeklyReturnRate;
            for (var week = 0; signup + week * Week < end; week++)
            {
                // Everyone is active in the week they sign up; later weeks decay.
                if (week > 0 && rng.NextDouble() >= returnRate * Math.Pow(0.9, week - 1)) continue;
                var sessions = 1 + rng.Next(3);
                for (var k = 0; k < sessions; k++)
                {
                    var at = signup + week * Week + (long)(rng.NextDouble() * Week);
                    if (at > end) continue;
                    yield return Track(userId, "APP_OPENED", new { platform = Pick(rng, ["web", "ios", "android"]) }, at, Id());
                    foreach (var f in adopted)
                    {
                        if (rng.NextDouble() < 0.6)
                            yield return Track(userId, "FEATURE_ENGAGED", new { featureName = f.Name, clickTarget = Pick(rng, f.ClickTargets) },
                                Math.Min(end, at + (long)(rng.NextDouble() * 20 * Minute)), Id());
                    }
                }
            }
        }
    }

    private static ValidEvent Track(string userId, string name, object properties, long at, string messageId) =>
        new(MessageType.Track, userId, name, Json(properties), null, at, messageId);

    private static string Json(object o) => JsonSerializer.Serialize(o);

    private static string PageTitle(string path) => path switch
    {
        "/" => "Home",
        "/pricing" => "Pricing",
        "/features" => "Features",
        "/customers" => "Customers",
        _ => "Launch post",
    };

    private static string Pick(Random rng, IReadOnlyList<string> values) => values[rng.Next(values.Count)];
}
