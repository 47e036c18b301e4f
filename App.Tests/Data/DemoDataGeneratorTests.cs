using System.Text.Json;
using Dashboard.Data;
using Dashboard.Data.Seeding;
using Dashboard.Flags;
using Dashboard.Ingest;
using Microsoft.Extensions.Configuration;

namespace Dashboard.Tests.Data;

/// <summary>The demo data set must tell the story the pages are built to show.</summary>
public sealed class DemoDataGeneratorTests
{
    private const long Day = 24 * 60 * 60 * 1000L;
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly SeedData Seed = new(new ConfigurationBuilder().Build());
    private static readonly DemoSettings Settings = Seed.Read<DemoSettings>("demo.json");
    private static readonly FlagRecord OnboardingFlag = Seed.Flags(0).Single(f => f.Key == Settings.OnboardingFlag);
    private static readonly int Rollout = OnboardingFlag.RolloutBasisPoints;
    private static readonly CompiledFlag Flag = new(FlagState.FromRecord(OnboardingFlag));
    private static readonly List<DemoExposure> Exposures = [];

    // Generated once for the whole class: the set has tens of thousands of events.
    private static readonly Lazy<List<ValidEvent>> Events = new(() => DemoDataGenerator.Generate(Settings, Flag, Now, Exposures).ToList());

    [Fact]
    public void Generate_SameSettingsAndNow_GivesIdenticalEvents()
    {
        var again = DemoDataGenerator.Generate(Settings, Flag, Now).ToList();

        Assert.NotEmpty(again);
        Assert.Equal(Events.Value, again);
    }

    [Fact]
    public void Generate_OtherSeed_GivesOtherEvents()
    {
        var other = DemoDataGenerator.Generate(Settings with { Seed = Settings.Seed + 1 }, Flag, Now).ToList();

        Assert.NotEqual(Events.Value, other);
    }

    [Fact]
    public void Generate_EveryUser_SignsUpOnceWithinTheWeeks()
    {
        var start = Now.AddDays(-7 * Settings.Weeks).ToUnixTimeMilliseconds();
        var end = Now.ToUnixTimeMilliseconds();
        var signups = Events.Value.Where(e => e.Name == "USER_REGISTERED").ToList();

        Assert.Equal(Settings.Users, signups.Count);
        Assert.Equal(Settings.Users, signups.Select(e => e.UserKey).Distinct().Count());
        Assert.All(signups, e => Assert.InRange(e.Timestamp, start, end));
        // Signups are spread over the period, not bunched: every week has some.
        var perWeek = signups.GroupBy(e => (e.Timestamp - start) / (7 * Day)).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(Settings.Weeks, perWeek.Count);
        Assert.All(perWeek.Values, n => Assert.InRange(n, Settings.Users / Settings.Weeks / 2, Settings.Users / Settings.Weeks * 2));
    }

    [Fact]
    public void Generate_EveryEvent_IsBetweenItsUsersSignupAndNow_ExceptTheVisitorsPageViewsJustBefore()
    {
        var signup = Events.Value.Where(e => e.Name == "USER_REGISTERED").ToDictionary(e => e.UserKey, e => e.Timestamp);
        var end = Now.ToUnixTimeMilliseconds();
        var visitors = Events.Value.Where(e => e.Anonymous).ToList();

        Assert.All(Events.Value.Where(e => !e.Anonymous), e => Assert.InRange(e.Timestamp, signup[e.UserKey], end));
        Assert.Equal(Events.Value.Count, Events.Value.Select(e => e.MessageId).Distinct().Count());
        // A visitor's page views come in the three days before the signup whose identify merges them.
        var mergedBy = Events.Value.Where(e => e.MergeKey is not null).ToDictionary(e => e.MergeKey!, e => e.UserKey);
        Assert.InRange(mergedBy.Count, Settings.Users * Settings.VisitorShare * 0.9, Settings.Users * Settings.VisitorShare * 1.1);
        Assert.All(visitors, e =>
        {
            Assert.Equal("PAGE", e.Name);
            Assert.InRange(e.Timestamp, signup[mergedBy[e.UserKey]] - 3 * Day - 60_000, signup[mergedBy[e.UserKey]] - 1);
        });
    }

    [Fact]
    public void Generate_EveryUser_JoinsOneAccountWhoseTraitsAreTheSameForAllItsUsers()
    {
        var groups = Events.Value.Where(e => e.Type == MessageType.Group).ToList();
        Assert.Equal(Settings.Users, groups.Count);
        Assert.All(groups.GroupBy(g => g.GroupKey), g => Assert.Single(g.Select(x => x.TraitsJson).Distinct()));
        Assert.InRange(groups.Select(g => g.GroupKey).Distinct().Count(), Settings.Users / Settings.UsersPerAccount * 0.9, Settings.Users / Settings.UsersPerAccount);
    }

    [Fact]
    public void Generate_NewOnboardingFlow_ActivatesAbout34PercentAndTheOthersAbout12()
    {
        var byUser = Events.Value.Where(e => !e.Anonymous).GroupBy(e => e.UserKey).ToList(); // the visitors' page views are merged into them
        var end = Now.ToUnixTimeMilliseconds();
        int newFlowUsers = 0, newFlowActivated = 0, otherUsers = 0, otherActivated = 0;
        foreach (var user in byUser)
        {
            var signup = user.Single(e => e.Name == "USER_REGISTERED").Timestamp;
            // Users whose 7-day window is still open are pending, not failures (the activation definition).
            if (signup + 7 * Day > end) continue;
            var traits = JsonDocument.Parse(user.Single(e => e.Type == MessageType.Identify).TraitsJson!).RootElement;
            // Beta users by the targeting rule; in the rollout, only the experiment's treatment (not control).
            var newFlow = traits.GetProperty("cohort").GetString() == "beta"
                          || (Bucketing.InRollout(Settings.OnboardingFlag, user.Key, Rollout)
                              && Bucketing.VariantBucket(Settings.OnboardingFlag, user.Key) >= 5000); // 50/50: control below 5000
            var activated = user.Any(e => e.Name == "PROJECT_CREATED" && e.Timestamp >= signup && e.Timestamp <= signup + 7 * Day);
            if (newFlow) { newFlowUsers++; if (activated) newFlowActivated++; }
            else { otherUsers++; if (activated) otherActivated++; }
        }

        // Both groups are large enough for the rates to be meaningful (beta share 12%, half of the 10% rollout of the rest).
        Assert.InRange(newFlowUsers, 300, 1000);
        Assert.InRange(otherUsers, 1500, 3000);
        Assert.InRange((double)newFlowActivated / newFlowUsers, 0.29, 0.39);
        Assert.InRange((double)otherActivated / otherUsers, 0.10, 0.14);
    }

    [Fact]
    public void Generate_Exposures_FollowTheFlagsBucketingAtSignup()
    {
        var events = Events.Value;
        var signup = events.Where(e => e.Name == "USER_REGISTERED").ToDictionary(e => e.UserKey, e => e.Timestamp);
        var beta = events.Where(e => e.Type == MessageType.Identify && e.TraitsJson!.Contains("\"beta\"")).Select(e => e.UserKey).ToHashSet();
        var expected = signup.Keys.Where(u => !beta.Contains(u) && Bucketing.InRollout(Settings.OnboardingFlag, u, Rollout)).ToHashSet();

        // Exactly the non-beta users in the rollout are exposed, once, at signup, to the variant of the
        // independent variant hash (first variant whose cumulative weight × 100 exceeds the bucket).
        Assert.Equal(expected.Order(), Exposures.Select(x => x.UserKey).Order());
        Assert.All(Exposures, x =>
        {
            Assert.Equal(signup[x.UserKey], x.Timestamp);
            var bucket = Bucketing.VariantBucket(Settings.OnboardingFlag, x.UserKey);
            Assert.Equal(bucket < 5000 ? "control" : "new_flow", x.Variant);
        });
        // A 50/50 split of about 10% of 2,640 users.
        var perVariant = Exposures.GroupBy(x => x.Variant).ToDictionary(g => g.Key, g => g.Count());
        Assert.InRange(perVariant["control"], 90, 180);
        Assert.InRange(perVariant["new_flow"], 90, 180);
    }

    [Fact]
    public void Generate_ExposedUsers_NewFlowConvertsMoreThanControl()
    {
        var events = Events.Value;
        var rates = Exposures.GroupBy(x => x.Variant).ToDictionary(g => g.Key, g =>
            (double)g.Count(x => events.Any(e => e.UserKey == x.UserKey && e.Name == "PROJECT_CREATED" && e.Timestamp >= x.Timestamp)) / g.Count());

        // The story: about 34% against 12% (with the noise of ~130 users each, and the last week's users still pending).
        Assert.InRange(rates["new_flow"], 0.22, 0.42);
        Assert.InRange(rates["control"], 0.04, 0.18);
    }

    [Fact]
    public void Generate_Features_SomeUnderFivePercentAdoption()
    {
        var activeUsers = Events.Value.Select(e => e.UserKey).Distinct().Count();
        var adoption = Events.Value
            .Where(e => e.Name == "FEATURE_ENGAGED")
            .GroupBy(e => JsonDocument.Parse(e.PropertiesJson).RootElement.GetProperty("featureName").GetString()!)
            .ToDictionary(g => g.Key, g => (double)g.Select(e => e.UserKey).Distinct().Count() / activeUsers);

        // Every configured feature is used by someone; the report has both popular and unused ones.
        Assert.Equal(Settings.Features.Select(f => f.Name).Order(), adoption.Keys.Order());
        Assert.Contains(adoption, a => a.Value < 0.05);
        Assert.Contains(adoption, a => a.Value > 0.5);
    }
}
