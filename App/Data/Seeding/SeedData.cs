using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dashboard.Data;

/// <summary>The files in <c>seed-data/</c>: the default taxonomy, flags and demo-data settings.</summary>
public sealed class SeedData(IConfiguration configuration)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    public string Folder { get; } = configuration["SeedData:Folder"] is { Length: > 0 } f
        ? Path.GetFullPath(f)
        : Path.Combine(AppContext.BaseDirectory, "seed-data");

    public T Read<T>(string file)
    {
        using var stream = File.OpenRead(Path.Combine(Folder, file));
        return JsonSerializer.Deserialize<T>(stream, Json) ?? throw new InvalidDataException($"{file} is empty");
    }

    public sealed record TaxonomyFile(List<EventDefinitionSeed> Events);

    public sealed record EventDefinitionSeed(string Name, string? Description, List<PropertySeed>? Properties);

    public sealed record PropertySeed(string Name, PropertyType Type, bool Required, string? Description, List<string>? Values);

    public sealed record FlagsFile(List<FlagSeed> Flags);

    public sealed record FlagSeed(string Key, string? Description, string? Owner, bool Enabled, decimal RolloutPercent,
        JsonElement? Rules, JsonElement? Variants);

    public sealed record ExperimentsFile(List<ExperimentSeed> Experiments);

    /// <summary>Dates are relative to the first start, so the demo experiment lines up with the demo data.</summary>
    public sealed record ExperimentSeed(string Key, string FlagKey, string? Hypothesis, string GoalEvent, JsonElement? GoalFilter,
        double StartDaysAgo, double? EndDaysFromNow, double MinimumDetectableEffect, ExperimentState State, JsonElement? Metrics = null);

    public IEnumerable<EventDefinition> Taxonomy(long now) =>
        Read<TaxonomyFile>("taxonomy.json").Events.Select(e => new EventDefinition
        {
            Name = e.Name,
            Description = e.Description ?? "",
            UpdatedAt = now,
            Properties = (e.Properties ?? []).Select(p => new PropertyDefinition
            {
                Name = p.Name,
                Type = p.Type,
                Required = p.Required,
                Description = p.Description ?? "",
                EnumValues = p.Values ?? [],
            }).ToList(),
        });

    public IEnumerable<FlagRecord> Flags(long now) =>
        Read<FlagsFile>("flags.json").Flags.Select(f => new FlagRecord
        {
            Key = f.Key,
            Description = f.Description ?? "",
            Owner = f.Owner ?? "",
            Enabled = f.Enabled,
            RolloutBasisPoints = (int)Math.Round(f.RolloutPercent * 100),
            Rules = f.Rules?.GetRawText() ?? "[]",
            Variants = f.Variants?.GetRawText() ?? "[]",
            UpdatedAt = now,
        });

    /// <summary>The experiments, their variants copied from the seeded flag (as creating one in the app does).</summary>
    public IEnumerable<ExperimentRecord> Experiments(long now)
    {
        const long day = 86_400_000L;
        var flags = Flags(now).ToDictionary(f => f.Key);
        return Read<ExperimentsFile>("experiments.json").Experiments.Select(e => new ExperimentRecord
        {
            Key = e.Key,
            FlagKey = e.FlagKey,
            Hypothesis = e.Hypothesis ?? "",
            Variants = flags.TryGetValue(e.FlagKey, out var flag) ? flag.Variants : "[]",
            GoalEvent = e.GoalEvent,
            GoalFilter = e.GoalFilter?.GetRawText() ?? "{}",
            Start = now - (long)(e.StartDaysAgo * day),
            End = e.EndDaysFromNow is { } end ? now + (long)(end * day) : null,
            MinimumDetectableEffect = e.MinimumDetectableEffect,
            Metrics = e.Metrics?.GetRawText() ?? "[]",
            State = e.State,
            CreatedAt = now,
            UpdatedAt = now,
        });
    }
}
