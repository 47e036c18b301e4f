using Dashboard.Flags;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace Dashboard.Components.Pages.Flags;

/// <summary>
/// What the flag editor and the list's on/off switch do before they save: a change that
/// <see cref="FlagChangeRisk"/> names (disabling a flag with traffic, a jump to 100 %, new variants on
/// a flag that feeds a running experiment) is saved only after the person confirms a message that
/// says what it does to the users seen last week. The audit names the signed-in person.
/// </summary>
internal static class FlagChangeConfirmation
{
    /// <summary>True when the change may be saved: it carries no risk, or the person confirmed it.</summary>
    public static async Task<bool> ConfirmFlagChangeAsync(this IDialogService dialogs, FlagQueries queries,
        FlagState? before, FlagState after, long evaluationsLast24Hours)
    {
        var experiment = before is null ? null : await queries.RunningExperimentAsync(before.Key);
        var risks = FlagChangeRisk.Assess(before, after, evaluationsLast24Hours, experiment);
        if (risks.Count == 0) return true;
        var impact = await queries.ImpactAsync(before, after);
        var ok = await dialogs.ShowMessageBoxAsync("Confirm this change", FlagChangeRisk.Describe(risks, impact, evaluationsLast24Hours, experiment),
            yesText: "Save the change", cancelText: "Cancel");
        return ok == true;
    }

    /// <summary>The signed-in person's name, as the audit records it.</summary>
    public static async Task<string> ActorAsync(Task<AuthenticationState>? authState)
    {
        var state = authState is null ? null : await authState;
        return state?.User.Identity?.Name ?? "unknown";
    }
}
