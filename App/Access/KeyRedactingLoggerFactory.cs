using System.Collections;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dashboard.Access;

/// <summary>
/// Keeps write keys out of the log. analytics.js asks for <c>/v1/projects/{writeKey}/settings</c>,
/// so the key is in the request's path, which ASP.NET Core's request lines ("Request starting …")
/// and their log scope (<c>RequestPath</c>) carry. Loggers of the framework's categories mask that
/// path segment, in the message and in every structured value; the app's own loggers never log a
/// path and are passed through untouched.
/// </summary>
public sealed partial class KeyRedactingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public const string Mask = "***";

    /// <summary>Wraps the host's logger factory; call after logging is registered (the builder does so first).</summary>
    public static void Register(IServiceCollection services)
    {
        services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(sp =>
            new KeyRedactingLoggerFactory(ActivatorUtilities.CreateInstance<LoggerFactory>(sp))));
    }

    [GeneratedRegex("(v1/projects/)[^/?#\\s]+(/settings)", RegexOptions.IgnoreCase)]
    private static partial Regex KeyInPath();

    /// <summary>The text with the key of every settings path masked.</summary>
    public static string Redact(string text) =>
        text.Contains("v1/projects/", StringComparison.OrdinalIgnoreCase) ? KeyInPath().Replace(text, "$1" + Mask + "$2") : text;

    public ILogger CreateLogger(string categoryName)
    {
        var logger = inner.CreateLogger(categoryName);
        return categoryName.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) ? new RedactingLogger(logger) : logger;
    }

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();

    private sealed class RedactingLogger(ILogger inner) : ILogger
    {
        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull =>
            RedactedState.Of(state, state.ToString() ?? "") is { } redacted ? inner.BeginScope(redacted) : inner.BeginScope(state);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel)) return;
            if (RedactedState.Of(state, formatter(state, exception)) is { } redacted)
                inner.Log(logLevel, eventId, redacted, exception, static (s, _) => s.Message);
            else
                inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }

    /// <summary>A log state with the keys masked in its message and values.</summary>
    private sealed class RedactedState(string message, List<KeyValuePair<string, object?>> values) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public string Message { get; } = message;

        /// <summary>The masked copy, or null when nothing in the state names a settings path.</summary>
        public static RedactedState? Of<TState>(TState state, string message)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? pairs.ToList() : [];
            var masked = Redact(message);
            var changed = masked != message;
            for (var i = 0; i < values.Count; i++)
            {
                if (values[i].Value is not string text) continue;
                var redacted = Redact(text);
                if (redacted == text) continue;
                values[i] = new(values[i].Key, redacted);
                changed = true;
            }
            return changed ? new RedactedState(masked, values) : null;
        }

        public KeyValuePair<string, object?> this[int index] => values[index];
        public int Count => values.Count;
        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
        public override string ToString() => Message;
    }
}
